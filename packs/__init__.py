"""Built-in packs shipped with Plinth (registered under the ``plinth.packs`` entry points)."""
