-- 到期提醒 of 用户等级 (BEN-6, issue 17, docs/ledger.md): the SMS the nightly tier evaluation queues,
-- kind `tier_lapse` (sent only where `notify.sms.kinds` routes it), once per customer and tier held,
-- when the tier would lapse within 30 days unless the customer earns more.
INSERT INTO sms_templates (code, name, content, variables) VALUES
    ('QY_TIER_LAPSE', '等级到期提醒',
     '【权益平台】尊敬的客户，您的${tier}等级将于${date}前后到期，近 12 个月累计积分达到 ${points} 即可保级。', '{tier,date,points}')
ON CONFLICT (code) DO NOTHING;
