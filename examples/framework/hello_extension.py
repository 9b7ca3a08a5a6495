from python_worker_extension_framework.toolkit import Invocation, Option, WorkerExtension


class HelloExtension(WorkerExtension):
    options = (Option("greeting", str, "hello", env="PYTHON_WORKER_EXTENSION_HELLO_GREETING"),)

    @classmethod
    def _on_pre_invocation(cls, invocation: Invocation) -> None:
        invocation.data["seen"] = True  # lives on the context, gone after the invocation

    @classmethod
    def _on_post_invocation(cls, invocation: Invocation, result: object) -> None:
        cls.log.info("%s %s", cls.settings().greeting, invocation.function_name)
