"""``governance serve``: a Marquez-compatible lineage API and a read-only web view for auditors.

The server is an ASGI application (FastAPI, served by uvicorn) over one audit store. Importing
this package is cheap; :func:`governance.serve.app.create_app` imports the web stack. See
``docs/serve.md``.
"""
