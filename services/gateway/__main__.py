"""python -m services.gateway"""

import uvicorn

from shared.settings import get_settings

from .app import create_app

settings = get_settings()
uvicorn.run(
    create_app(settings),
    host=settings.host,
    port=settings.gateway_port,
    log_config=None,
    timeout_graceful_shutdown=int(settings.graceful_timeout),
)
