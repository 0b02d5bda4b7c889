// The Lucia v2 peer of cmd/latchbench: the same operations as the Go side
// measures on Latch, done with Lucia v2 and its official adapters on the
// same SQLite file and the same PostgreSQL server (schema), in Lucia's own
// tables (auth_user, user_key, user_session). Run by latchbench with one
// JSON argument (see luciaJob in cmd/latchbench/lucia.go); it prints its
// progress on stderr and one JSON report as the last line of stdout.
//
//   node bench.mjs '{"sqlite":"/tmp/x.db","durationMs":2000,"users":1000,...}'
//
// Lucia v2 has no single-use tokens: "token issue+consume" is the pattern
// of Lucia v2's guide to email verification links (a table of tokens; issue
// reuses a live token or inserts one; validate reads it and deletes the
// user's tokens in one transaction), written with the same driver.

import "lucia/polyfill/node";
import { lucia } from "lucia";
import {
	generateLuciaPasswordHash,
	validateLuciaPasswordHash,
	generateRandomString,
	isWithinExpiration
} from "lucia/utils";
import { betterSqlite3 } from "@lucia-auth/adapter-sqlite";
import { pg as pgAdapter } from "@lucia-auth/adapter-postgresql";
import Database from "better-sqlite3";
import pg from "pg";
import { readFileSync } from "node:fs";

const job = JSON.parse(process.argv[2] ?? "{}");
const users = job.users || 1000;
const passwordUsers = Math.min(job.passwordUsers || 16, users);
const password = job.password || "correct horse battery staple";
const TOKEN_EXPIRES_IN = 2 * 60 * 60 * 1000;

const log = (...args) => console.error(...args);
const results = [];
const errors = {};

// measure runs op sequentially (i = 0, 1, ...) after a warm-up, for
// job.durationMs (at least one call) or job.n calls.
async function measure(store, opName, op, { durationMs, n, warmupMs, note } = {}) {
	durationMs ??= job.durationMs ?? 2000;
	n ??= job.n ?? 0;
	warmupMs ??= job.warmupMs ?? 0;
	let i = 0;
	try {
		if (n > 0) {
			const w = Math.max(Math.floor(n / 10), 1);
			for (let k = 0; k < w; k++) await op(i++);
		} else if (warmupMs > 0) {
			const end = performance.now() + warmupMs;
			do await op(i++);
			while (performance.now() < end);
		}
		let ops = 0;
		const start = performance.now();
		if (n > 0) {
			for (; ops < n; ops++) await op(i++);
		} else {
			const end = start + durationMs;
			do {
				await op(i++);
				ops++;
			} while (performance.now() < end);
		}
		const seconds = (performance.now() - start) / 1000;
		results.push({ store, op: opName, ops, seconds, opsPerSec: ops / seconds, note });
		log(`${store} ${opName}: ${(ops / seconds).toFixed(1)} ops/s (${ops} calls)`);
	} catch (e) {
		results.push({ store, op: opName, ops: 0, seconds: 0, opsPerSec: 0, error: String(e?.message ?? e) });
		log(`${store} ${opName}: ${e?.stack ?? e}`);
	}
}

// auth returns Lucia on an adapter, with the user and session attributes
// the Latch fixtures carry.
function auth(adapter) {
	return lucia({
		adapter,
		env: "PROD",
		getUserAttributes: (u) => ({ email: u.email, emailVerified: Boolean(u.email_verified), name: u.name }),
		getSessionAttributes: (s) => ({ ip: s.ip, userAgent: s.user_agent })
	});
}

// seed creates the users (an email key without password each, the first
// passwordUsers with a "pws" key holding one precomputed Lucia hash) and a
// session per user, through Lucia.
async function seed(a, insertPasswordKey) {
	const ids = [];
	const emails = [];
	const sessions = [];
	for (let i = 0; i < users; i++) {
		const email = `user${i}@example.com`;
		const user = await a.createUser({
			key: { providerId: "email", providerUserId: email, password: null },
			attributes: { email, email_verified: 1, name: `User ${i}` }
		});
		const s = await a.createSession({
			userId: user.userId,
			attributes: { ip: "192.0.2.1", user_agent: "latchbench/1.0" }
		});
		ids.push(user.userId);
		emails.push(email);
		sessions.push(s.sessionId);
	}
	const hash = await generateLuciaPasswordHash(password);
	for (let i = 0; i < passwordUsers; i++) {
		await insertPasswordKey(`pws:${emails[i]}`, ids[i], hash);
	}
	return { ids, emails, sessions };
}

// storeOps measures the operations on one Lucia instance. tokens is the
// guide's token pattern on the store's driver.
async function storeOps(store, a, data, tokens) {
	const { ids, emails, sessions } = data;
	await measure(store, "validate", async (i) => {
		const s = await a.validateSession(sessions[i % users]);
		if (s.fresh) throw new Error("an active session was renewed");
	});
	await measure(store, "create", async (i) => {
		await a.createSession({ userId: ids[i % users], attributes: { ip: "192.0.2.1", user_agent: null } });
	});
	await measure(store, "token", async (i) => {
		const t = await tokens.issue(ids[i % users]);
		await tokens.validate(t);
	}, { note: "Lucia v2 guide pattern" });
	await measure(store, "key", async (i) => {
		await a.useKey("email", emails[i % users], null);
	});
	await measure(store, "key_s2", async (i) => {
		await a.useKey("pws", emails[i % passwordUsers], password);
	}, { durationMs: job.hashDurationMs || job.durationMs, n: job.hashN || job.n });
}

async function onSQLite(path) {
	const db = new Database(path);
	// The pragmas of Latch's SQLite store, so both write as durably.
	db.pragma("busy_timeout = 10000");
	db.pragma("journal_mode = WAL");
	db.pragma("synchronous = NORMAL");
	db.pragma("foreign_keys = ON");
	db.exec(`
		DROP TABLE IF EXISTS email_verification_token;
		DROP TABLE IF EXISTS user_session;
		DROP TABLE IF EXISTS user_key;
		DROP TABLE IF EXISTS auth_user;
		CREATE TABLE auth_user (
			id TEXT NOT NULL PRIMARY KEY,
			email TEXT NOT NULL,
			email_verified INTEGER NOT NULL,
			name TEXT NOT NULL
		);
		CREATE TABLE user_key (
			id TEXT NOT NULL PRIMARY KEY,
			user_id TEXT NOT NULL REFERENCES auth_user (id),
			hashed_password TEXT
		);
		CREATE INDEX user_key_user_id ON user_key (user_id);
		CREATE TABLE user_session (
			id TEXT NOT NULL PRIMARY KEY,
			user_id TEXT NOT NULL REFERENCES auth_user (id),
			active_expires INTEGER NOT NULL,
			idle_expires INTEGER NOT NULL,
			ip TEXT,
			user_agent TEXT
		);
		CREATE INDEX user_session_user_id ON user_session (user_id);
		CREATE TABLE email_verification_token (
			id TEXT NOT NULL PRIMARY KEY,
			user_id TEXT NOT NULL REFERENCES auth_user (id),
			expires INTEGER NOT NULL
		);
		CREATE INDEX email_verification_token_user_id ON email_verification_token (user_id);
	`);
	const a = auth(betterSqlite3(db, { user: "auth_user", key: "user_key", session: "user_session" }));
	const insertKey = db.prepare("INSERT INTO user_key (id, user_id, hashed_password) VALUES (?, ?, ?)");
	log(`sqlite: seeding ${users} users in ${path}`);
	const data = await seed(a, async (id, userId, hash) => insertKey.run(id, userId, hash));
	const byUser = db.prepare("SELECT * FROM email_verification_token WHERE user_id = ?");
	const insert = db.prepare("INSERT INTO email_verification_token (id, expires, user_id) VALUES (?, ?, ?)");
	const byId = db.prepare("SELECT * FROM email_verification_token WHERE id = ?");
	const deleteByUser = db.prepare("DELETE FROM email_verification_token WHERE user_id = ?");
	const validateTx = db.transaction((token) => {
		const stored = byId.get(token);
		if (!stored) throw new Error("Invalid token");
		deleteByUser.run(stored.user_id);
		return stored;
	});
	const tokens = {
		issue: async (userId) => {
			const stored = byUser.all(userId);
			const reusable = stored.find((t) => isWithinExpiration(Number(t.expires) - TOKEN_EXPIRES_IN / 2));
			if (reusable) return reusable.id;
			const token = generateRandomString(63);
			insert.run(token, Date.now() + TOKEN_EXPIRES_IN, userId);
			return token;
		},
		validate: async (token) => {
			const stored = validateTx(token);
			if (!isWithinExpiration(Number(stored.expires))) throw new Error("Expired token");
			return stored.user_id;
		}
	};
	await storeOps("sqlite", a, data, tokens);
	db.close();
}

async function onPostgres(url, schema) {
	const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
	try {
		await pool.query(`
			DROP TABLE IF EXISTS email_verification_token;
			DROP TABLE IF EXISTS user_session;
			DROP TABLE IF EXISTS user_key;
			DROP TABLE IF EXISTS auth_user;
			CREATE TABLE auth_user (
				id TEXT PRIMARY KEY,
				email TEXT NOT NULL,
				email_verified INTEGER NOT NULL,
				name TEXT NOT NULL
			);
			CREATE TABLE user_key (
				id TEXT PRIMARY KEY,
				user_id TEXT NOT NULL REFERENCES auth_user (id),
				hashed_password TEXT
			);
			CREATE INDEX user_key_user_id ON user_key (user_id);
			CREATE TABLE user_session (
				id TEXT PRIMARY KEY,
				user_id TEXT NOT NULL REFERENCES auth_user (id),
				active_expires BIGINT NOT NULL,
				idle_expires BIGINT NOT NULL,
				ip TEXT,
				user_agent TEXT
			);
			CREATE INDEX user_session_user_id ON user_session (user_id);
			CREATE TABLE email_verification_token (
				id TEXT PRIMARY KEY,
				user_id TEXT NOT NULL REFERENCES auth_user (id),
				expires BIGINT NOT NULL
			);
			CREATE INDEX email_verification_token_user_id ON email_verification_token (user_id);
		`);
		const a = auth(pgAdapter(pool, { user: "auth_user", key: "user_key", session: "user_session" }));
		log(`postgres: seeding ${users} users in schema ${schema}`);
		const data = await seed(a, (id, userId, hash) =>
			pool.query("INSERT INTO user_key (id, user_id, hashed_password) VALUES ($1, $2, $3)", [id, userId, hash])
		);
		const tokens = {
			issue: async (userId) => {
				const { rows } = await pool.query("SELECT * FROM email_verification_token WHERE user_id = $1", [userId]);
				const reusable = rows.find((t) => isWithinExpiration(Number(t.expires) - TOKEN_EXPIRES_IN / 2));
				if (reusable) return reusable.id;
				const token = generateRandomString(63);
				await pool.query("INSERT INTO email_verification_token (id, expires, user_id) VALUES ($1, $2, $3)", [
					token,
					Date.now() + TOKEN_EXPIRES_IN,
					userId
				]);
				return token;
			},
			validate: async (token) => {
				const client = await pool.connect();
				let stored;
				try {
					await client.query("BEGIN");
					const { rows } = await client.query("SELECT * FROM email_verification_token WHERE id = $1", [token]);
					stored = rows[0];
					if (!stored) throw new Error("Invalid token");
					await client.query("DELETE FROM email_verification_token WHERE user_id = $1", [stored.user_id]);
					await client.query("COMMIT");
				} catch (e) {
					await client.query("ROLLBACK");
					throw e;
				} finally {
					client.release();
				}
				if (!isWithinExpiration(Number(stored.expires))) throw new Error("Expired token");
				return stored.user_id;
			}
		};
		await storeOps("postgres", a, data, tokens);
	} finally {
		await pool.end();
	}
}

async function hashing() {
	const opts = { durationMs: job.hashDurationMs || job.durationMs, n: job.hashN || job.n, warmupMs: 0 };
	await measure("cpu", "hash", () => generateLuciaPasswordHash(password), opts);
	const hash = await generateLuciaPasswordHash(password);
	await measure("cpu", "verify", async () => {
		if (!(await validateLuciaPasswordHash(password, hash))) throw new Error("the password did not verify");
	}, opts);
}

const luciaVersion = JSON.parse(readFileSync(new URL("./node_modules/lucia/package.json", import.meta.url))).version;
log(`node ${process.version}, lucia ${luciaVersion}`);
for (const [name, run] of [
	["sqlite", job.sqlite && (() => onSQLite(job.sqlite))],
	["postgres", job.postgresUrl && (() => onPostgres(job.postgresUrl, job.postgresSchema))],
	["cpu", job.hash && hashing]
]) {
	if (!run) continue;
	try {
		await run();
	} catch (e) {
		errors[name] = String(e?.message ?? e);
		log(`${name}: ${e?.stack ?? e}`);
	}
}
console.log(JSON.stringify({ node: process.version, lucia: luciaVersion, results, errors }));
