"""Services that belong to no single engine: id-cursor paging, the audit log, rate limits,
saved list views and the rows system tables keep about one record. Below the HTTP layer
(``plinth/api``, ``admin_ui``), above ``plinth/runtime``."""
