"""One router per resource; ``main.create_app`` mounts them under ``/api/v1``."""
