//! The places routes over HTTP, against the real gazetteer data.
use handoff_tests::{stack, Client};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn places_are_searched_fetched_and_geocoded() {
    let stack = stack("places").await;
    let c = Client::new(&stack);

    let r = c.get("/places/search?q=z%C3%BCrich", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    println!("calls GET /places/search: {}", r.header("x-aws-calls").unwrap_or("-"));
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items[0]["country"], "CH", "{}", r.body);
    assert!(items.iter().any(|p| p["id"] == "airport:ZRH"));
    // Accents and case do not matter; a typo still finds it; size ranks.
    let plain = c.get("/places/search?q=ZURICH", None).await;
    assert_eq!(plain.body["items"][0]["id"], items[0]["id"]);
    let typo = c.get("/places/search?q=frankfrut&limit=3", None).await;
    assert_eq!(typo.body["items"][0]["name"], "Frankfurt am Main", "{}", typo.body);
    assert_eq!(typo.body["items"].as_array().unwrap().len(), 3);
    let code = c.get("/places/search?q=jfk", None).await;
    assert_eq!(code.body["items"][0]["id"], "airport:JFK");
    assert_eq!(code.body["items"][0]["match"], "code");

    let jfk = c.get("/places/airport:JFK", None).await;
    assert_eq!(jfk.status, 200);
    assert_eq!(jfk.body["zone"], "America/New_York");
    let local = jfk.body["local_time"].as_str().unwrap();
    assert!(local.ends_with("-05:00") || local.ends_with("-04:00"), "{local}");

    let g = c.post("/places/geocode", None, json!({"text": "Paris, France"})).await;
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(g.body["items"][0]["id"], "city:2988507");
    let conf = g.body["items"][0]["confidence"].as_f64().unwrap();
    assert!(conf > 0.9 && conf <= 1.0, "{conf}");
    let airport = c.post("/places/geocode", None, json!({"text": "heathrow airport"})).await;
    assert_eq!(airport.body["items"][0]["id"], "airport:LHR", "{}", airport.body);

    // Everything a caller can send wrong.
    c.get("/places/search", None).await.problem(422, "validation-failed");
    c.get("/places/search?q=a", None).await.problem(422, "validation-failed");
    c.get("/places/search?q=paris&limit=0", None).await.problem(422, "validation-failed");
    c.get("/places/city:0", None).await.problem(404, "not-found");
    c.post("/places/geocode", None, json!({"text": " "})).await.problem(422, "validation-failed");
    c.post("/places/geocode", None, json!({"text": "paris", "limit": 99})).await.problem(422, "validation-failed");
    c.post("/places/geocode", None, json!({"txt": "paris"})).await.problem(422, "validation-failed");
}
