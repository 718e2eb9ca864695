//! The organisation: a tree of regions (company → region → area) and the data scopes built on it.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    Company,
    Region,
    Area,
}

impl RegionKind {
    pub fn code(self) -> &'static str {
        match self {
            RegionKind::Company => "company",
            RegionKind::Region => "region",
            RegionKind::Area => "area",
        }
    }

    /// The kind a child of this node must have; areas are leaves.
    pub fn child_kind(self) -> Option<RegionKind> {
        match self {
            RegionKind::Company => Some(RegionKind::Region),
            RegionKind::Region => Some(RegionKind::Area),
            RegionKind::Area => None,
        }
    }
}

impl FromStr for RegionKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "company" => Ok(RegionKind::Company),
            "region" => Ok(RegionKind::Region),
            "area" => Ok(RegionKind::Area),
            _ => Err(()),
        }
    }
}

/// Parent links of every region, to answer "is X inside the subtree of Y".
#[derive(Debug, Clone, Default)]
pub struct RegionTree {
    children: BTreeMap<i64, Vec<i64>>,
    parent: BTreeMap<i64, Option<i64>>,
}

impl RegionTree {
    /// Builds the tree from `(id, parent_id)` pairs.
    pub fn new(links: impl IntoIterator<Item = (i64, Option<i64>)>) -> Self {
        let mut tree = RegionTree::default();
        for (id, parent) in links {
            tree.parent.insert(id, parent);
            if let Some(p) = parent {
                tree.children.entry(p).or_default().push(id);
            }
        }
        tree
    }

    pub fn contains(&self, id: i64) -> bool {
        self.parent.contains_key(&id)
    }

    /// Every region under any of `roots`, the roots included.
    pub fn subtree(&self, roots: impl IntoIterator<Item = i64>) -> BTreeSet<i64> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<i64> = roots.into_iter().filter(|r| self.contains(*r)).collect();
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                stack.extend(self.children.get(&id).into_iter().flatten().copied());
            }
        }
        seen
    }

    /// Ancestors of `id`, nearest first; bounded by the tree size so a corrupt cycle still ends.
    pub fn ancestors(&self, id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut cur = self.parent.get(&id).copied().flatten();
        while let Some(p) = cur {
            if out.len() > self.parent.len() || out.contains(&p) {
                break;
            }
            out.push(p);
            cur = self.parent.get(&p).copied().flatten();
        }
        out
    }
}

/// How far a permission reaches: the actor's own records, their region subtree, or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Own,
    Region,
    Company,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_tree() -> RegionTree {
        // 1 company; 2 East (4 Shanghai, 5 Jiangsu); 3 North (6 Beijing)
        RegionTree::new([
            (1, None),
            (2, Some(1)),
            (3, Some(1)),
            (4, Some(2)),
            (5, Some(2)),
            (6, Some(3)),
        ])
    }

    #[test]
    fn subtree_holds_descendants_only() {
        let t = demo_tree();
        assert_eq!(t.subtree([2]), BTreeSet::from([2, 4, 5]));
        assert_eq!(t.subtree([1]).len(), 6);
        assert!(t.subtree([99]).is_empty());
        assert!(!t.subtree([2]).contains(&6));
    }

    #[test]
    fn ancestors_nearest_first() {
        assert_eq!(demo_tree().ancestors(4), vec![2, 1]);
        assert!(demo_tree().ancestors(1).is_empty());
    }

    #[test]
    fn area_has_no_children() {
        assert_eq!(RegionKind::Area.child_kind(), None);
        assert_eq!(RegionKind::Company.child_kind(), Some(RegionKind::Region));
    }
}
