//! SYS-3: the columns of the import/export files and the words accepted in them. A header
//! may be the English code (`credit_code`) or the Chinese label (`统一社会信用代码`), and a
//! kind, level or role its code (`hospital`) or its Chinese/English label (`公立医院`).
//! Headers and values are compared without case, spaces, a trailing `*` (a "required" mark)
//! or a bracketed note (`床位数（张）`).

/// One column of a file.
pub struct Column {
    /// The field it fills; also the English header.
    pub field: &'static str,
    /// The Chinese header written on export.
    pub zh: &'static str,
    /// Other headers accepted on import.
    pub aliases: &'static [&'static str],
    /// Read on import; `false`: written on export only (grade, due date …) and ignored when
    /// an exported file is imported again.
    pub imported: bool,
    /// Whole numbers (written as numbers into .xlsx).
    pub numeric: bool,
}

const fn col(field: &'static str, zh: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        field,
        zh,
        aliases,
        imported: true,
        numeric: false,
    }
}

const fn number(field: &'static str, zh: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        numeric: true,
        ..col(field, zh, aliases)
    }
}

const fn export_only(field: &'static str, zh: &'static str, numeric: bool) -> Column {
    Column {
        imported: false,
        numeric,
        ..col(field, zh, &[])
    }
}

/// Institutions: one row per institution (CUS-1).
pub const INSTITUTION_COLUMNS: &[Column] = &[
    export_only("id", "ID", true),
    col(
        "name",
        "名称",
        &["机构名称", "医院名称", "客户名称", "institution"],
    ),
    col("credit_code", "统一社会信用代码", &["信用代码"]),
    col("kind", "类型", &["机构类型", "type"]),
    col("level", "医院等级", &["hospital level"]),
    col("province", "省份", &["省"]),
    col("city", "城市", &["市"]),
    col("address", "地址", &[]),
    number("beds", "床位数", &["床位"]),
    col("phone", "总机电话", &["电话"]),
    number("scale_score", "规模评分", &["规模"]),
    number("demand_score", "采购需求评分", &["采购需求", "需求评分"]),
    number("willingness_score", "合作意愿评分", &["合作意愿"]),
    col("needs", "需求与痛点", &["需求"]),
    col("preferences", "偏好", &[]),
    col("procurement_plan", "采购计划", &[]),
    col("region", "所属区域", &["区域", "territory"]),
    col(
        "owner",
        "负责销售账号",
        &["负责销售", "负责人", "负责人账号", "owner username"],
    ),
    export_only("grade", "等级", false),
    export_only("category", "客户分类", false),
    export_only("last_visit_on", "上次拜访", false),
    export_only("next_visit_due", "下次拜访", false),
];

/// Departments and contacts: one row per contact, or per department when the contact's name
/// is blank. The institution is found, within the caller's scope, by `institution_id`, else
/// by credit code, else by name and city.
pub const CONTACT_COLUMNS: &[Column] = &[
    number("institution_id", "机构ID", &["机构编号"]),
    col("credit_code", "统一社会信用代码", &["信用代码"]),
    col(
        "institution",
        "机构名称",
        &["名称", "医院名称", "客户名称", "医院"],
    ),
    col("city", "城市", &["市"]),
    col("department", "科室", &["部门"]),
    col("name", "姓名", &["联系人", "联系人姓名", "contact"]),
    col("role", "角色", &["联系人角色", "contact role"]),
    col("title", "职务", &["职称"]),
    col("phone", "电话", &["手机", "联系电话"]),
    col("email", "邮箱", &["电子邮箱"]),
];

/// Products: one row per catalog entry (PRD-1), the manufacturer by its name as on the
/// suppliers page; the registration columns are written on export only.
pub const PRODUCT_COLUMNS: &[Column] = &[
    export_only("id", "ID", true),
    col("code", "产品编码", &["编码", "物料编码", "product code"]),
    col("name", "产品名称", &["名称", "product"]),
    col("model", "型号规格", &["型号", "规格", "specification"]),
    col("product_line", "产品线", &["产品类别", "line"]),
    col("manufacturer", "生产企业", &["生产厂家", "厂家", "注册人"]),
    col("unit", "单位", &["计量单位"]),
    col("serialized", "序列号管理", &["按序列号管理"]),
    col("implantable", "植入类", &["是否植入"]),
    number("shelf_life_months", "有效期（月）", &["有效期", "保质期"]),
    col("active", "在售", &["是否在售"]),
    export_only("registration", "注册证/备案号", false),
    export_only("registration_valid_to", "注册证有效期至", false),
];

/// Spare parts: one row per catalog part (PRT-1). `products` lists the codes of the
/// products the part fits, separated by `;`, `；`, `、` or `,`.
pub const PART_COLUMNS: &[Column] = &[
    export_only("id", "ID", true),
    col("code", "配件编码", &["编码", "物料编码", "part code"]),
    col("name", "配件名称", &["名称", "part"]),
    col("spec", "规格", &["规格型号", "specification"]),
    col("unit", "单位", &["计量单位"]),
    col("unit_cost", "单价(元)", &["单价", "成本价", "unit cost"]),
    col("tracking", "追溯", &["追溯方式", "管理方式"]),
    col("active", "启用", &["是否启用"]),
    col(
        "products",
        "适用产品",
        &["适用产品编码", "compatible products"],
    ),
];

/// `(code, labels)` of how a part is traced (PRT-1).
pub const TRACKING_LABELS: &[(&str, &[&str])] = &[
    ("none", &["无", "None", "不追溯"]),
    ("serial", &["序列号", "Serial", "SN"]),
    ("lot", &["批号", "Lot", "批次"]),
];

/// Stock: one row per part and location (PRT-1/2) — the stock report's columns, so a report
/// exported from one installation imports as opening balances into another. The location is
/// a warehouse's code or name; `on_hand` is received, `min_qty`/`max_qty` set when given.
pub const STOCK_COLUMNS: &[Column] = &[
    col("part_code", "配件编码", &["编码", "part code"]),
    export_only("part_name", "配件名称", false),
    export_only("unit", "单位", false),
    col("warehouse", "库位", &["仓库", "仓库编码", "location"]),
    number("on_hand", "在库", &["数量", "期初数量", "quantity"]),
    export_only("faulty", "故障件", true),
    export_only("in_transit", "在途", true),
    number("min_qty", "下限", &["最低库存", "min"]),
    number("max_qty", "上限", &["最高库存", "max"]),
    export_only("low", "低于下限", false),
];

/// The movement report (PRT-2): the ledger, exported only (movements are made by the use
/// cases, never imported).
pub const MOVEMENT_COLUMNS: &[Column] = &[
    export_only("at", "时间", false),
    export_only("kind", "类型", false),
    export_only("part_code", "配件编码", false),
    export_only("part_name", "配件名称", false),
    export_only("warehouse", "库位", false),
    export_only("condition", "状态", false),
    export_only("quantity", "数量", true),
    export_only("balance_after", "结存", true),
    export_only("unit_cost", "单价(元)", false),
    export_only("reason", "原因", false),
    export_only("by", "经办人", false),
    export_only("ticket", "工单", false),
];

/// `(code, labels)` of the ledger's movement kinds and stock conditions (PRT-2).
pub const MOVEMENT_KIND_LABELS: &[(&str, &[&str])] = &[
    ("receipt", &["入库", "Receipt"]),
    ("issue", &["出库(领用)", "Issue"]),
    ("return", &["退回", "Return"]),
    ("transfer_out", &["调拨出库", "Transfer out"]),
    ("transfer_in", &["调拨入库", "Transfer in"]),
    ("adjustment", &["调整", "Adjustment"]),
];
pub const CONDITION_LABELS: &[(&str, &[&str])] =
    &[("good", &["良品", "Good"]), ("faulty", &["故障", "Faulty"])];

/// `(code, labels)` of the product lines (PRD-1).
pub const LINE_LABELS: &[(&str, &[&str])] = &[
    ("large_equipment", &["大型设备", "Large equipment", "设备"]),
    ("consumables", &["高值耗材", "Consumables", "耗材"]),
    ("ivd", &["体外诊断", "IVD", "IVD试剂"]),
    ("service", &["服务", "Service"]),
    ("other", &["其他", "Other"]),
];

/// Yes/no cells.
pub const YES_NO_LABELS: &[(&str, &[&str])] = &[
    ("yes", &["是", "yes", "y", "true", "1", "√"]),
    ("no", &["否", "no", "n", "false", "0"]),
];

/// A header or value reduced for comparison: lower case, no spaces, `_`/`-` dropped, no
/// trailing `*`, no bracketed note.
pub fn normalize(text: &str) -> String {
    let mut t = text.trim().trim_start_matches('\u{feff}').to_lowercase();
    for (open, close) in [('(', ')'), ('（', '）'), ('[', ']'), ('【', '】')] {
        if t.ends_with(close)
            && let Some(at) = t.rfind(open)
            && at > 0
        {
            t.truncate(at);
        }
    }
    t.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊' | '_' | '-'))
        .collect()
}

/// The column `header` names, if any.
pub fn column_of<'a>(columns: &'a [Column], header: &str) -> Option<&'a Column> {
    let h = normalize(header);
    if h.is_empty() {
        return None;
    }
    columns.iter().find(|c| {
        normalize(c.field) == h
            || normalize(c.zh) == h
            || c.aliases.iter().any(|a| normalize(a) == h)
    })
}

/// `(code, labels)`: the first label is the Chinese one written on export; the web's i18n
/// table uses the same words (a test there checks).
pub const KIND_LABELS: &[(&str, &[&str])] = &[
    ("hospital", &["公立医院", "Public hospital", "医院"]),
    (
        "private_hospital",
        &["民营医院", "Private hospital", "私立医院"],
    ),
    (
        "primary_care",
        &["基层医疗机构", "Primary-care institution", "基层医疗"],
    ),
    (
        "research",
        &["科研机构", "Research institution", "研究机构"],
    ),
    (
        "partner",
        &["经销商 / 代理商", "Distributor / agent", "经销商", "代理商"],
    ),
];

pub const LEVEL_LABELS: &[(&str, &[&str])] = &[
    ("3A", &["三级甲等", "Tertiary A", "三甲"]),
    ("3B", &["三级乙等", "Tertiary B", "三乙"]),
    ("3C", &["三级丙等", "Tertiary C", "三丙"]),
    ("2A", &["二级甲等", "Secondary A", "二甲"]),
    ("2B", &["二级乙等", "Secondary B", "二乙"]),
    ("2C", &["二级丙等", "Secondary C", "二丙"]),
    ("1", &["一级", "Primary"]),
    ("unrated", &["未定级", "Unrated", "未评级"]),
];

pub const ROLE_LABELS: &[(&str, &[&str])] = &[
    ("doctor", &["医生", "Doctor"]),
    ("department_head", &["科室主任", "Department head", "主任"]),
    ("equipment", &["设备科", "Equipment dept."]),
    ("procurement", &["采购", "Procurement"]),
    ("finance", &["财务", "Finance"]),
    ("kol", &["KOL 专家", "KOL", "专家"]),
    ("other", &["其他", "Other"]),
];

pub const CATEGORY_LABELS: &[(&str, &[&str])] = &[
    ("key", &["重点客户"]),
    ("normal", &["普通客户"]),
    ("potential", &["潜在客户"]),
];

/// The code a cell names (its code or one of its labels), if any.
pub fn code_of(labels: &[(&'static str, &[&str])], value: &str) -> Option<&'static str> {
    let v = normalize(value);
    labels
        .iter()
        .find(|(code, names)| normalize(code) == v || names.iter().any(|n| normalize(n) == v))
        .map(|(code, _)| *code)
}

/// The Chinese label of `code`, or the code itself when it has none.
pub fn label_of(labels: &[(&'static str, &'static [&'static str])], code: &str) -> String {
    labels
        .iter()
        .find(|(c, _)| *c == code)
        .and_then(|(_, names)| names.first())
        .map_or_else(|| code.to_owned(), |l| (*l).to_owned())
}

/// "公立医院 (hospital), 民营医院 (private_hospital), …" for an error message.
pub fn choices(labels: &[(&str, &[&str])]) -> String {
    labels
        .iter()
        .map(|(code, names)| format!("{} ({code})", names.first().unwrap_or(code)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use medcrm_domain::customers::{ContactRole, HospitalLevel, InstitutionKind};

    use super::*;

    #[test]
    fn headers_in_english_or_chinese_with_marks_and_notes() {
        for (header, field) in [
            ("name", "name"),
            ("名称*", "name"),
            (" 统一社会信用代码 ", "credit_code"),
            ("Credit Code", "credit_code"),
            ("床位数（张）", "beds"),
            ("Scale_Score", "scale_score"),
            ("负责销售", "owner"),
            ("\u{feff}名称", "name"),
        ] {
            assert_eq!(
                column_of(INSTITUTION_COLUMNS, header).map(|c| c.field),
                Some(field),
                "{header}"
            );
        }
        assert!(column_of(INSTITUTION_COLUMNS, "nmae").is_none());
        assert!(column_of(INSTITUTION_COLUMNS, "").is_none());
        assert_eq!(
            column_of(CONTACT_COLUMNS, "姓名").map(|c| c.field),
            Some("name")
        );
    }

    #[test]
    fn no_two_columns_share_a_header() {
        for columns in [INSTITUTION_COLUMNS, CONTACT_COLUMNS] {
            let mut seen = std::collections::BTreeSet::new();
            for c in columns {
                let mut own = std::collections::BTreeSet::new();
                for h in [c.field, c.zh].iter().chain(c.aliases) {
                    own.insert(normalize(h));
                }
                for h in own {
                    assert!(seen.insert(h.clone()), "{h} twice");
                }
            }
        }
    }

    /// Every code of the domain has labels, and each label names one code only.
    #[test]
    fn labels_cover_the_domain_codes_exactly() {
        let kinds: Vec<&str> = InstitutionKind::ALL.iter().map(|k| k.code()).collect();
        let levels: Vec<&str> = HospitalLevel::ALL.iter().map(|k| k.code()).collect();
        let roles: Vec<&str> = ContactRole::ALL.iter().map(|k| k.code()).collect();
        for (labels, codes) in [
            (KIND_LABELS, kinds),
            (LEVEL_LABELS, levels),
            (ROLE_LABELS, roles),
        ] {
            let mine: Vec<&str> = labels.iter().map(|(c, _)| *c).collect();
            assert_eq!(mine, codes);
            for (code, names) in labels {
                for n in *names {
                    assert_eq!(code_of(labels, n), Some(*code), "{n}");
                }
            }
        }
        assert_eq!(code_of(KIND_LABELS, "经销商/代理商"), Some("partner"));
        assert_eq!(code_of(LEVEL_LABELS, "3a"), Some("3A"));
        assert_eq!(code_of(KIND_LABELS, "诊所"), None);
    }
}
