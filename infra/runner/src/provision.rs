//! Creates every resource template.yaml declares, in moto (or LocalStack, or
//! an account), under local physical names `<stack>-<LogicalId>`.
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml::Value;

use crate::template::{Names, Template};

pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    pub s3: aws_sdk_s3::Client,
    pub sesv2: aws_sdk_sesv2::Client,
    pub sns: aws_sdk_sns::Client,
}

fn s(v: Option<&Value>) -> String {
    v.and_then(|x| x.as_str()).unwrap_or_default().to_string()
}

/// Fills in the names every `!Ref` and `!GetAtt` resolves to, before anything is created.
pub fn name_resources(t: &Template, names: &mut Names) {
    let (region, account, stack) = (names.region.clone(), names.account.clone(), names.stack.clone());
    for (id, r) in &t.resources {
        let name = format!("{stack}-{id}");
        let mut att = |a: &str, v: String| {
            names.atts.insert((id.clone(), a.to_string()), v);
        };
        match r.kind.as_str() {
            "AWS::DynamoDB::Table" => {
                att("Arn", format!("arn:aws:dynamodb:{region}:{account}:table/{name}"));
                names.refs.insert(id.clone(), name);
            }
            "AWS::SQS::Queue" => {
                att("Arn", format!("arn:aws:sqs:{region}:{account}:{name}"));
                att("QueueName", name.clone());
            }
            "AWS::Events::EventBus" => {
                att("Arn", format!("arn:aws:events:{region}:{account}:event-bus/{name}"));
                att("Name", name.clone());
                names.refs.insert(id.clone(), name);
            }
            "AWS::S3::Bucket" => {
                let bucket = name.to_lowercase();
                att("Arn", format!("arn:aws:s3:::{bucket}"));
                names.refs.insert(id.clone(), bucket);
            }
            "AWS::Serverless::Function" => {
                att("Arn", format!("arn:aws:lambda:{region}:{account}:function:{name}"));
                names.refs.insert(id.clone(), name);
            }
            "AWS::Events::Rule" => {
                names.refs.insert(id.clone(), name.clone());
            }
            _ => {
                names.refs.insert(id.clone(), name);
            }
        }
    }
    // Rules live on a bus: their ARN names it.
    for (id, r) in t.of_kind("AWS::Events::Rule") {
        let bus = r.props.get("EventBusName").and_then(|b| names.resolve(b).ok()).unwrap_or_else(|| "default".into());
        names
            .atts
            .insert((id.clone(), "Arn".into()), format!("arn:aws:events:{region}:{account}:rule/{bus}/{stack}-{id}"));
    }
}

fn err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> String + '_ {
    move |e| format!("{what}: {e:?}")
}

pub async fn provision(
    t: &Template,
    names: &mut Names,
    c: &Clients,
    visibility_override: Option<i64>,
) -> Result<(), String> {
    for (id, r) in t.of_kind("AWS::DynamoDB::Table") {
        let name = names.refs[id].clone();
        let p = &r.props;
        let attrs = p.get("AttributeDefinitions").and_then(|a| a.as_sequence()).cloned().unwrap_or_default();
        let key = |ks: &Value| -> Vec<KeySchemaElement> {
            ks.as_sequence()
                .into_iter()
                .flatten()
                .map(|k| {
                    KeySchemaElement::builder()
                        .attribute_name(s(k.get("AttributeName")))
                        .key_type(KeyType::from(s(k.get("KeyType")).as_str()))
                        .build()
                        .expect("key schema")
                })
                .collect()
        };
        let mut req = c
            .dynamodb
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key(p.get("KeySchema").unwrap_or(&Value::Null))))
            .set_attribute_definitions(Some(
                attrs
                    .iter()
                    .map(|a| {
                        AttributeDefinition::builder()
                            .attribute_name(s(a.get("AttributeName")))
                            .attribute_type(ScalarAttributeType::from(s(a.get("AttributeType")).as_str()))
                            .build()
                            .expect("attribute definition")
                    })
                    .collect(),
            ));
        for g in p.get("GlobalSecondaryIndexes").and_then(|g| g.as_sequence()).into_iter().flatten() {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(s(g.get("IndexName")))
                    .set_key_schema(Some(key(g.get("KeySchema").unwrap_or(&Value::Null))))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                s(g.get("Projection").and_then(|x| x.get("ProjectionType"))).as_str(),
                            ))
                            .build(),
                    )
                    .build()
                    .map_err(err("gsi"))?,
            );
        }
        if let Some(spec) = p.get("StreamSpecification") {
            req = req.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(s(spec.get("StreamViewType")).as_str()))
                    .build()
                    .map_err(err("stream"))?,
            );
        }
        let out = req.send().await.map_err(err("CreateTable"))?;
        if let Some(arn) = out.table_description.and_then(|d| d.latest_stream_arn) {
            names.atts.insert((id.clone(), "StreamArn".into()), arn);
        }
        if let Some(ttl) = p.get("TimeToLiveSpecification") {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(s(ttl.get("AttributeName")))
                .enabled(true)
                .build()
                .map_err(err("ttl"))?;
            c.dynamodb
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(err("UpdateTimeToLive"))?;
        }
    }

    for (id, r) in t.of_kind("AWS::SQS::Queue") {
        let name = names.atts[&(id.clone(), "QueueName".into())].clone();
        let mut req = c.sqs.create_queue().queue_name(&name);
        let vis = visibility_override.or_else(|| r.props.get("VisibilityTimeout").and_then(|v| v.as_i64()));
        if let Some(v) = vis {
            req = req.attributes(QueueAttributeName::VisibilityTimeout, v.to_string());
        }
        if let Some(v) = r.props.get("MessageRetentionPeriod").and_then(|v| v.as_i64()) {
            req = req.attributes(QueueAttributeName::MessageRetentionPeriod, v.to_string());
        }
        let url = req.send().await.map_err(err("CreateQueue"))?.queue_url.unwrap_or_default();
        names.refs.insert(id.clone(), url);
    }
    for (id, r) in t.of_kind("AWS::SQS::Queue") {
        if let Some(rp) = r.props.get("RedrivePolicy") {
            let dlq = names.resolve(
                rp.get("deadLetterTargetArn")
                    .ok_or_else(|| format!("{id}: RedrivePolicy without deadLetterTargetArn"))?,
            )?;
            let max = rp.get("maxReceiveCount").and_then(|m| m.as_u64()).unwrap_or(5);
            let policy = serde_json::json!({"deadLetterTargetArn": dlq, "maxReceiveCount": max}).to_string();
            c.sqs
                .set_queue_attributes()
                .queue_url(&names.refs[id])
                .attributes(QueueAttributeName::RedrivePolicy, policy)
                .send()
                .await
                .map_err(err("SetQueueAttributes"))?;
        }
    }

    for (id, _) in t.of_kind("AWS::Events::EventBus") {
        c.eventbridge.create_event_bus().name(&names.refs[id]).send().await.map_err(err("CreateEventBus"))?;
    }
    for (id, r) in t.of_kind("AWS::Events::Rule") {
        let bus = r.props.get("EventBusName").map(|b| names.resolve(b)).transpose()?;
        let pattern = serde_json::to_string(
            &serde_json::to_value(r.props.get("EventPattern").ok_or_else(|| format!("{id} has no EventPattern"))?)
                .map_err(err("EventPattern"))?,
        )
        .map_err(err("EventPattern"))?;
        let name = names.refs[id].clone();
        c.eventbridge
            .put_rule()
            .name(&name)
            .set_event_bus_name(bus.clone())
            .event_pattern(pattern)
            .send()
            .await
            .map_err(err("PutRule"))?;
        for target in r.props.get("Targets").and_then(|t| t.as_sequence()).into_iter().flatten() {
            let arn = names.resolve(target.get("Arn").ok_or("target without Arn")?)?;
            let tid = s(target.get("Id"));
            let tgt = aws_sdk_eventbridge::types::Target::builder().id(tid).arn(arn).build().map_err(err("target"))?;
            let out = c
                .eventbridge
                .put_targets()
                .rule(&name)
                .set_event_bus_name(bus.clone())
                .targets(tgt)
                .send()
                .await
                .map_err(err("PutTargets"))?;
            if out.failed_entry_count > 0 {
                return Err(format!("PutTargets for {id} failed: {:?}", out.failed_entries));
            }
        }
    }

    for (id, _) in t.of_kind("AWS::S3::Bucket") {
        c.s3.create_bucket().bucket(&names.refs[id]).send().await.map_err(err("CreateBucket"))?;
    }

    // SES refuses a sender whose identity does not exist (moto too): create
    // the identity of every MAIL_FROM a function is given.
    let mut senders = std::collections::BTreeSet::new();
    for f in &t.functions {
        if let Some(v) = f.env.get("MAIL_FROM") {
            senders.insert(names.resolve(v)?);
        }
    }
    for sender in senders {
        let r = c.sesv2.create_email_identity().email_identity(&sender).send().await;
        if let Err(e) = r {
            let text = format!("{e:?}");
            if !text.contains("AlreadyExists") {
                return Err(format!("CreateEmailIdentity {sender}: {text}"));
            }
        }
    }
    Ok(())
}

/// Push needs SNS platform applications, which CloudFormation cannot
/// create (they hold the APNs and FCM credentials, made once per account):
/// template.yaml takes their ARNs as parameters. Locally, each one left
/// empty is created in moto, with placeholder credentials.
pub async fn push_applications(names: &mut Names, sns: &aws_sdk_sns::Client) -> Result<(), String> {
    for (param, platform) in [("PushApnsApplicationArn", "APNS_SANDBOX"), ("PushFcmApplicationArn", "GCM")] {
        if names.parameters.get(param).is_some_and(|v| !v.is_empty()) {
            continue;
        }
        let out = sns
            .create_platform_application()
            .name(format!("{}-{}", names.stack, platform.to_ascii_lowercase()))
            .platform(platform)
            .attributes("PlatformCredential", "local-placeholder")
            .send()
            .await
            .map_err(err("CreatePlatformApplication"))?;
        names.parameters.insert(param.into(), out.platform_application_arn.unwrap_or_default());
    }
    Ok(())
}
