import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_jobs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["jobs"] == {"ok": True, "ready": 0, "running": 0, "failed": 0}


@pytest.mark.django_db
def test_metrics_are_exposed_for_prometheus(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_ping_is_the_trivial_floor_endpoint(client):
    assert client.get("/api/ping").json() == {"pong": "ok"}
