-- POST /api/buildings/ with a JSON body: the create path, NATS round trip included.
wrk.method = "POST"
wrk.body = '{"name": "Bench building"}'
wrk.headers["Content-Type"] = "application/json"
