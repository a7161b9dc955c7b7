"""The dashboard (`rout serve`): needs the `web` extra (FastAPI and uvicorn)."""
