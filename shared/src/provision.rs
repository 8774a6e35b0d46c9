//! First-start provisioning: the operator account, the Xuanxuan demo app and
//! default configuration. Idempotent: re-running changes nothing that exists.

use crate::auth::{canonical_password, hash_password};
use crate::dialects::Dialect;
use crate::error::{AppError, AppResult};
use crate::ids::LoginName;
use crate::store::{apps, config, relations, users};
use crate::Ctx;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Provision {
    pub admin_username: String,
    pub admin_password: String,
    pub xx_app_code: String,
    pub xx_app_key: String,
}

impl Default for Provision {
    fn default() -> Self {
        Provision {
            admin_username: "admin".into(),
            admin_password: "admin123".into(),
            xx_app_code: "demo".into(),
            xx_app_key: "demo-key".into(),
        }
    }
}

impl Provision {
    /// Defaults overridable by ADMIN_USER, ADMIN_PASSWORD, XX_APP_CODE, XX_APP_KEY.
    pub fn from_env() -> Provision {
        let d = Provision::default();
        let get = |k: &str, dflt: String| std::env::var(k).ok().filter(|v| !v.is_empty()).unwrap_or(dflt);
        Provision {
            admin_username: get("ADMIN_USER", d.admin_username),
            admin_password: get("ADMIN_PASSWORD", d.admin_password),
            xx_app_code: get("XX_APP_CODE", d.xx_app_code),
            xx_app_key: get("XX_APP_KEY", d.xx_app_key),
        }
    }
}

pub fn default_shiku_config() -> serde_json::Value {
    json!({
        "androidVersion": 100, "androidAppUrl": "", "androidExplain": "",
        "iosVersion": 100, "iosAppUrl": "", "iosExplain": "",
        "audioLen": "60", "videoLen": "20", "displayRedPacket": 0,
        "helpUrl": "", "shareUrl": "", "liveUrl": "",
        "XMPPDomain": "im.local", "XMPPHost": "", "freeswitch": "", "meetingHost": ""
    })
}

/// The original SealTalk server's defaults (rongcloud/sealtalk-server `dev`: squirrel.json for
/// `desktop`, client_version.json for `iOS`/`Android`); operators replace them with
/// `/config/set` `versions`.
pub fn default_versions() -> serde_json::Value {
    json!({
        "desktop": {
            "version": "1.0.2",
            "url": "http://downloads.rongcloud.cn/sealtalk/releases/mac/SealTalk_by_RongCloud_1.0.2.dmg",
            "name": "SealTalk 1.0.2", "notes": "修正", "pub_date": "2016-05-05T16:00:00+08:00"
        },
        "iOS": {"version": "1.0.5", "build": "201607181821", "url": "https://dn-rongcloud.qbox.me/app.plist"},
        "Android": {"version": "1.0.5", "url": "http://downloads.rongcloud.cn/SealTalk_by_RongCloud_Android_v1_0_5.apk"}
    })
}

/// The original SealTalk server's demo_square.json (groups 10, 15, 10000 and chatrooms 1-4),
/// ids as strings (SealTalk ids are opaque strings here); operators replace it with
/// `/config/set` `demoSquare`.
pub fn default_demo_square() -> serde_json::Value {
    json!([
        {"type": "group", "id": "10"},
        {"type": "group", "id": "15"},
        {"type": "group", "id": "10000"},
        {"type": "chatroom", "id": "1", "name": "聊天室 I"},
        {"type": "chatroom", "id": "2", "name": "聊天室 II"},
        {"type": "chatroom", "id": "3", "name": "聊天室 III"},
        {"type": "chatroom", "id": "4", "name": "聊天室 IV"}
    ])
}

pub async fn run(ctx: &Ctx, p: &Provision) -> AppResult<()> {
    let name = LoginName::username(&p.admin_username)?;
    if users::find_login(&ctx.db, &name).await?.is_none() {
        let pwd = hash_password(&canonical_password(Dialect::Minxing, &p.admin_password)?)?;
        let LoginName::Username(username) = name else { unreachable!("username() returns Username") };
        let new = users::NewUser {
            nickname: "Administrator".into(),
            password_hash: pwd,
            username: Some(username),
            role: users::Role::Operator,
            ..Default::default()
        };
        match users::create(&ctx.db, ctx.now_ms(), new).await {
            Ok(_) | Err(AppError::AccountExists) => {}
            Err(e) => return Err(e),
        }
    }
    // The Shiku system account 10000 (`/friends/addAllFriendsSys`); no password.
    users::create_fixed(&ctx.db, ctx.now_ms(), relations::SYSTEM_UID, "System", "system").await?;
    let app = apps::App {
        code: p.xx_app_code.clone(),
        key: p.xx_app_key.clone(),
        name: "demo".into(),
        require_time: false,
        per_minute: apps::DEFAULT_PER_MINUTE,
    };
    apps::put(&ctx.db, &app).await?;
    config::put_if_absent(&ctx.db, config::SHIKU, &default_shiku_config(), ctx.now_ms()).await?;
    config::put_if_absent(&ctx.db, config::VERSIONS, &default_versions(), ctx.now_ms()).await?;
    Ok(())
}
