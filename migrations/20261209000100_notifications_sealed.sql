-- An SMS variable that must not rest in clear (a merchant administrator's one-time password) is
-- sealed under the data key, bound to its row's key: `params` and `body` never hold it, the
-- sender opens it at send time, and once the notice is sent it is dropped.
ALTER TABLE notifications ADD COLUMN sealed_params bytea;

-- Rows queued before this carried the password in clear: it is removed from them. One not yet
-- sent cannot go out without it; it is marked failed, and staff reset that administrator's
-- password (系统管理 › 用户管理).
UPDATE notifications
   SET params = params - 'password',
       body = regexp_replace(body, '初始密码[^，,]*', '初始密码******'),
       status = CASE WHEN status IN ('pending', 'retrying') THEN 'failed' ELSE status END,
       last_error = CASE WHEN status IN ('pending', 'retrying')
                         THEN 'the one-time password was stored in clear and was removed; reset the administrator''s password'
                         ELSE last_error END
 WHERE template_code = 'QY_MERCHANT_ADMIN';
