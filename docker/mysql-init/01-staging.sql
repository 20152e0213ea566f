-- The staging store (the ERP front-end machine's database) lives beside the portal DB in this compose
-- stack; in production it is usually a separate server in the DMZ. The portal user may use both.
CREATE DATABASE IF NOT EXISTS staging CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON staging.* TO 'portal'@'%';
FLUSH PRIVILEGES;
