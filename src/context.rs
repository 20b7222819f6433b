//! Who asked, from where: the facts about a request that the audit log and the approver see.
