"""Drop-in webhook receivers for Django, Flask and FastAPI/Starlette.

Each framework has its own module (``webhook_payloads.integrations.django``, ``.flask``,
``.fastapi``, ``.starlette``), which imports the framework when it is itself imported. This
package imports none of them, and ``import webhook_payloads`` never imports this package.
It holds what every receiver shares: :class:`InvalidDelivery`, what ``on_invalid`` gets.
"""

from ._receiver import InvalidDelivery

__all__ = ["InvalidDelivery"]
