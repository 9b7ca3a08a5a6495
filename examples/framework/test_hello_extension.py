from hello_extension import HelloExtension
from python_worker_extension_framework.testing import invoke, registered


def hello(name: str) -> str:
    return f"hi {name}"


def test_greets_after_each_invocation():
    with registered(HelloExtension):  # a clean registry holding only this extension
        HelloExtension.configure(greeting="hey")
        record = invoke(hello, name="ann")
    assert record.result == "hi ann"
    assert record.messages("hello_extension") == ["hey hello"]
    assert ("post_invocation_app_level", "HelloExtension") in record.hook_calls
