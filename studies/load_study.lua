-- wrk script: single-row POST /predict with a fixed 16-feature body (matches the synthetic model).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"features": [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 1.2, 0.13, -0.14, 0.15, 0.16]}'
