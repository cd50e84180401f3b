"""The office's printed documents (文书) about one complaint: 受理回执, 不予受理告知书,
投诉接收单, 督办单, the leader's 批示 and the case file (案卷).

``content`` gathers what each one says (plain data, read through the visibility gate),
``render`` turns it into one HTML body from a Django template — shown as a print page, and
made into PDF and DOCX by ``tousu.core.documents`` — so the three forms never disagree."""
