//! The local stack gives each function exactly the environment template.yaml
//! gives it: a variable the template forgets fails at start, as on AWS.
use handoff_tests::{options, root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_missing_from_the_template_fails_locally() {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let pepper =
        "          OTP_PEPPER: !Sub \"{{resolve:secretsmanager:${AuthSecretName}:SecretString:otp_pepper}}\"\n";
    let verify = text.find("  VerifyOtpFunction:").unwrap();
    let at = verify + text[verify..].find(pepper).expect("VerifyOtpFunction has OTP_PEPPER");
    let broken = format!("{}{}", &text[..at], &text[at + pepper.len()..]);
    let dir = std::env::temp_dir().join(format!("handoff-template-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("template.yaml"), broken).unwrap();
    let mut opts = options("missing-env");
    opts.template = dir.join("template.yaml");
    let err = handoff_local::start(opts).await.err().expect("the stack refuses to start");
    assert!(err.contains("VerifyOtpFunction") && err.contains("OTP_PEPPER"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
