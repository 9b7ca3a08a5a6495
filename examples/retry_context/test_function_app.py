import function_app
from python_worker_extension_framework.testing import make_timer_request, run_under_policy


def test_gives_up_after_three_retries(app_registry, monkeypatch):
    def order_service_down():
        raise ConnectionError("the order service is down")

    monkeypatch.setattr(function_app, "submit_pending_orders", order_service_down)
    run = run_under_policy(function_app.ProcessOrder, timer=make_timer_request())
    assert run.exhausted
    assert run.retry_counts == [0, 1, 2, 3]
    assert run.delays == [1.0, 2.0, 3.0]
    assert run.messages("python_worker_extension_retry_context")[0].startswith("Retry 1 of 3")
