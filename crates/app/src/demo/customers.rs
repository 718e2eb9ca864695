//! Demo customers: a believable East/North/South book of hospitals, a partner, departments,
//! doctors and visits, some of them overdue.

use std::collections::BTreeMap;

use jiff::ToSpan;
use medcrm_domain::auth::Role;
use medcrm_domain::customers::credit_check_char;

use crate::customers::{ContactInput, InstitutionInput, VisitInput, today};
use crate::{App, Ctx, Error, Result};

/// `(name, kind, level, province, city, address, beds, scores, region code, owner, area code)`.
type DemoInstitution = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    [i64; 3],
    &'static str,
    &'static str,
    &'static str,
);

const INSTITUTIONS: &[DemoInstitution] = &[
    (
        "复旦大学附属中山医院",
        "hospital",
        "3A",
        "上海",
        "上海市",
        "徐汇区枫林路180号",
        2005,
        [5, 5, 4],
        "EAST-SH",
        "rep.east",
        "310104",
    ),
    (
        "上海交通大学医学院附属瑞金医院",
        "hospital",
        "3A",
        "上海",
        "上海市",
        "黄浦区瑞金二路197号",
        2100,
        [5, 4, 4],
        "EAST-SH",
        "rep.east",
        "310101",
    ),
    (
        "上海市第六人民医院",
        "hospital",
        "3A",
        "上海",
        "上海市",
        "徐汇区宜山路600号",
        1800,
        [4, 3, 3],
        "EAST-SH",
        "rep.east",
        "310104",
    ),
    (
        "上海德济医院",
        "private_hospital",
        "2A",
        "上海",
        "上海市",
        "普陀区兰溪路158号",
        300,
        [3, 3, 2],
        "EAST-SH",
        "rep.east",
        "310107",
    ),
    (
        "徐汇区枫林街道社区卫生服务中心",
        "primary_care",
        "1",
        "上海",
        "上海市",
        "徐汇区东安路",
        60,
        [2, 2, 3],
        "EAST-SH",
        "rep.east",
        "310104",
    ),
    (
        "上海康联医疗器械有限公司",
        "partner",
        "unrated",
        "上海",
        "上海市",
        "闵行区申长路988号",
        0,
        [3, 4, 5],
        "EAST-SH",
        "rep.east",
        "310112",
    ),
    (
        "南京鼓楼医院",
        "hospital",
        "3A",
        "江苏",
        "南京市",
        "鼓楼区中山路321号",
        3500,
        [5, 4, 3],
        "EAST-JZ",
        "manager.east",
        "320106",
    ),
    (
        "北京协和医院",
        "hospital",
        "3A",
        "北京",
        "北京市",
        "东城区帅府园1号",
        2000,
        [5, 5, 5],
        "NORTH-BJ",
        "rep.north",
        "110101",
    ),
    (
        "北京大学第三医院",
        "hospital",
        "3A",
        "北京",
        "北京市",
        "海淀区花园北路49号",
        1900,
        [5, 4, 3],
        "NORTH-BJ",
        "rep.north",
        "110108",
    ),
    (
        "首都医科大学附属北京天坛医院",
        "hospital",
        "3A",
        "北京",
        "北京市",
        "丰台区南四环西路119号",
        1650,
        [4, 4, 3],
        "NORTH-BJ",
        "rep.north",
        "110106",
    ),
    (
        "北京和睦家医院",
        "private_hospital",
        "2A",
        "北京",
        "北京市",
        "朝阳区将台路2号",
        200,
        [3, 3, 4],
        "NORTH-BJ",
        "rep.north",
        "110105",
    ),
    (
        "中国医学科学院基础医学研究所",
        "research",
        "unrated",
        "北京",
        "北京市",
        "东城区东单三条5号",
        0,
        [2, 3, 3],
        "NORTH-BJ",
        "rep.north",
        "110101",
    ),
    (
        "中山大学附属第一医院",
        "hospital",
        "3A",
        "广东",
        "广州市",
        "越秀区中山二路58号",
        3000,
        [5, 4, 4],
        "SOUTH-GD",
        "director",
        "440104",
    ),
    (
        "广东省人民医院",
        "hospital",
        "3A",
        "广东",
        "广州市",
        "越秀区中山二路106号",
        3200,
        [5, 5, 3],
        "SOUTH-GD",
        "director",
        "440104",
    ),
];

const DEPARTMENTS: &[&str] = &["设备科", "心内科", "检验科", "放射科"];

/// `(name, role, title, department index)` of the contacts at the first institutions.
const CONTACTS: &[(&str, &str, &str, usize)] = &[
    ("王建国", "equipment", "设备科科长", 0),
    ("李文华", "department_head", "心内科主任", 1),
    ("陈晓燕", "doctor", "主治医师", 2),
    ("赵明", "kol", "放射科主任医师、教授", 3),
];

/// A demo actor that files customers for the whole company.
fn demo_ctx() -> Ctx {
    let mut ctx = Ctx::system("demo");
    ctx.actor.roles.insert(Role::SalesDirector);
    ctx
}

fn credit_code(area: &str, n: usize) -> Option<String> {
    let body = format!("12{area}{:09}", 400_000_000 + n);
    Some(format!("{body}{}", credit_check_char(&body)?))
}

pub(super) async fn load(
    app: &App,
    regions: &BTreeMap<&str, i64>,
    users: &BTreeMap<&str, i64>,
) -> Result<Vec<i64>> {
    let ctx = demo_ctx();
    let missing = || Error::Internal("demo data refers to a missing region or user".into());
    let mut ids = Vec::new();
    for (n, (name, kind, level, province, city, address, beds, scores, region, owner, area)) in
        INSTITUTIONS.iter().enumerate()
    {
        let input = InstitutionInput {
            name: Some((*name).into()),
            credit_code: credit_code(area, n),
            kind: Some((*kind).into()),
            level: Some((*level).into()),
            province: Some((*province).into()),
            city: Some((*city).into()),
            address: Some((*address).into()),
            beds: Some(Some(*beds).filter(|b| *b > 0)),
            phone: Some(format!("021-6404{:04}", 1000 + n)),
            scale_score: Some(scores[0]),
            demand_score: Some(scores[1]),
            willingness_score: Some(scores[2]),
            needs: (n % 2 == 0).then(|| "心血管介入耗材、超声设备更新".into()),
            procurement_plan: (n % 3 == 0).then(|| "2027年一季度公开招标彩超2台".into()),
            region_id: Some(*regions.get(region).ok_or_else(missing)?),
            owner_id: Some(*users.get(owner).ok_or_else(missing)?),
            ..Default::default()
        };
        ids.push(app.create_institution(&ctx, input).await?.id);
    }
    // The first hospital of each region gets departments, contacts and a visit history; a
    // few visits are old enough to make the customer overdue (CUS-4).
    let today = today();
    for (n, id) in [ids[0], ids[1], ids[7], ids[8], ids[12]]
        .into_iter()
        .enumerate()
    {
        let mut depts = Vec::new();
        for d in DEPARTMENTS {
            depts.push(app.add_department(&ctx, id, d).await?.id);
        }
        let mut contacts = Vec::new();
        for (name, role, title, dept) in CONTACTS {
            let c = ContactInput {
                department_id: depts.get(*dept).copied(),
                name: (*name).into(),
                role: (*role).into(),
                title: (*title).into(),
                phone: format!("1380013{:04}", n * 10 + contacts.len()),
                email: String::new(),
            };
            contacts.push(app.add_contact(&ctx, id, c).await?.id);
        }
        let days_ago: i64 = if n % 2 == 0 { 12 } else { 75 };
        let visited = today.checked_sub(days_ago.days()).unwrap_or(today);
        app.add_visit(
            &ctx,
            id,
            VisitInput {
                done: true,
                visited_on: Some(visited.to_string()),
                purpose: "介绍新一代彩超，了解设备更新计划".into(),
                outcome: "科室有意向，需设备科立项".into(),
                next_step: "提交产品资料和报价".into(),
                effective: true,
                satisfaction: Some(4),
                contact_ids: contacts.iter().take(2).copied().collect(),
                ..Default::default()
            },
        )
        .await?;
        let planned = today.checked_add(7.days()).unwrap_or(today);
        app.add_visit(
            &ctx,
            id,
            VisitInput {
                planned_on: Some(planned.to_string()),
                purpose: "跟进招标参数".into(),
                contact_ids: contacts.first().copied().into_iter().collect(),
                ..Default::default()
            },
        )
        .await?;
    }
    app.link_partner(&ctx, ids[5], ids[0]).await?;
    app.link_partner(&ctx, ids[5], ids[2]).await?;
    super::pipeline::load(app, &ctx, &ids).await?;
    Ok(ids)
}
