-- The applicant's SMS code is sealed like a one-time password (`sealed_params`, opened by the
-- sender). Rows queued before this carried it in clear: it is removed from them. A code lives five
-- minutes, so one not yet sent is of no use by the time this runs: it is marked failed, and the
-- applicant asks for a new code.
UPDATE notifications
   SET params = params - 'code',
       body = regexp_replace(body, '验证码为[0-9]+', '验证码为******'),
       status = CASE WHEN status IN ('pending', 'retrying') THEN 'failed' ELSE status END,
       last_error = CASE WHEN status IN ('pending', 'retrying')
                         THEN 'the code was stored in clear and was removed; the applicant asks for a new one'
                         ELSE last_error END
 WHERE key LIKE 'applicant-code/%' AND sealed_params IS NULL;
