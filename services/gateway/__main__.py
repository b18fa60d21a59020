"""python -m services.gateway"""

import uvicorn

from shared.settings import get_settings

from .app import create_app
from .problems import ProblemH11Protocol

settings = get_settings()
uvicorn.run(
    create_app(settings),
    host=settings.host,
    port=settings.gateway.port,
    log_config=None,
    http=ProblemH11Protocol,  # unparsable requests answered as problem+json too
    timeout_graceful_shutdown=int(settings.graceful_timeout),
)
