"""Drop-in webhook receivers for Django, Flask and FastAPI/Starlette.

Each framework has its own module (``webhook_payloads.integrations.django``, ``.flask``,
``.fastapi``, ``.starlette``), which imports the framework when it is itself imported. This
package imports none of them, and ``import webhook_payloads`` never imports this package.
"""
