"""Service resources: who is acting, skills, service territories."""
