"""The app starts, answers its health check and sends anonymous visitors to the login page."""


def test_health_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_pages_need_login(client):
    response = client.get("/ledger/month")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
