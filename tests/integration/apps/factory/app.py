"""An app factory, as Flask's create_app: --module app:create_app('prod', debug=True)."""


def create_app(config="default", debug=False):
    if config == "broken":
        raise RuntimeError("the factory refused config 'broken'")
    body = f"made by create_app({config!r}, debug={debug!r})".encode()

    def application(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    return application
