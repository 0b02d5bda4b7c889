// lucia.mjs drives the real Lucia v2 (lucia@2.7.7 and its official
// adapters) against a database, for store/lucia2's round-trip tests.
//
// It reads one JSON request on stdin:
//
//	{
//	  "db": {"dialect": "sqlite", "file": "/path/app.db"}
//	      | {"dialect": "postgres", "connectionString": "postgres://…", "schema": "s"}
//	      | {"dialect": "mysql", "host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "d"},
//	  "tables": {"user": "auth_user", "key": "user_key", "session": "user_session"},
//	  "booleans": ["email_verified"],   (optional: user attributes read as Boolean(x))
//	  "commands": [{"op": "createUser", …}, …]
//	}
//
// runs the commands in order and writes {"results": [...]} on stdout, one
// result per command: the command's output, or {"error": {"code", "message"}}
// when Lucia threw (LuciaError codes such as AUTH_INVALID_PASSWORD).
//
// Commands:
//
//	createUser      {userId?, providerId, providerUserId, password (null for none), attributes}
//	useKey          {providerId, providerUserId, password (null for none)}
//	createSession   {userId, attributes?}
//	validateSession {sessionId}
//	getUser         {userId}
//	deleteUser      {userId}
//
// A userId of "$user" names the user that the request's last createUser
// created.
import { lucia, LuciaError } from "lucia";

const readStdin = async () => {
	const chunks = [];
	for await (const chunk of process.stdin) chunks.push(chunk);
	return Buffer.concat(chunks).toString("utf8");
};

// connect returns a Lucia adapter for the database and a function that
// closes the connection.
const connect = async (db, tables) => {
	switch (db.dialect) {
		case "sqlite": {
			const { default: Database } = await import("better-sqlite3");
			const { betterSqlite3 } = await import("@lucia-auth/adapter-sqlite");
			const conn = new Database(db.file, { fileMustExist: true, timeout: 10000 });
			return { adapter: betterSqlite3(conn, tables), close: async () => conn.close() };
		}
		case "postgres": {
			const { default: pg } = await import("pg");
			const { pg: pgAdapter } = await import("@lucia-auth/adapter-postgresql");
			const pool = new pg.Pool({
				connectionString: db.connectionString,
				options: db.schema ? `-c search_path=${db.schema}` : undefined
			});
			return { adapter: pgAdapter(pool, tables), close: () => pool.end() };
		}
		case "mysql": {
			const { default: mysql } = await import("mysql2/promise");
			const { mysql2 } = await import("@lucia-auth/adapter-mysql");
			const pool = mysql.createPool({
				host: db.host,
				port: db.port,
				user: db.user,
				password: db.password,
				database: db.database,
				charset: "utf8mb4",
				connectionLimit: 4
			});
			return { adapter: mysql2(pool, tables), close: () => pool.end() };
		}
		default:
			throw new Error(`unknown dialect ${JSON.stringify(db.dialect)}`);
	}
};

// plain makes a value JSON-safe: dates as Unix milliseconds, bigints as numbers.
const plain = (value) =>
	JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? Number(v) : v)));

const dateMS = (d) => (d instanceof Date ? d.getTime() : d);

const sessionOut = (session) => ({
	sessionId: session.sessionId,
	userId: session.user.userId,
	user: plain(session.user),
	state: session.state,
	fresh: session.fresh,
	activePeriodExpiresAt: dateMS(session.activePeriodExpiresAt),
	idlePeriodExpiresAt: dateMS(session.idlePeriodExpiresAt)
});

const run = async (auth, cmd, state) => {
	if (cmd.userId === "$user") cmd = { ...cmd, userId: state.userId };
	switch (cmd.op) {
		case "createUser": {
			const user = await auth.createUser({
				userId: cmd.userId,
				key: {
					providerId: cmd.providerId,
					providerUserId: cmd.providerUserId,
					password: cmd.password ?? null
				},
				attributes: cmd.attributes ?? {}
			});
			state.userId = user.userId;
			return { userId: user.userId, user: plain(user) };
		}
		case "useKey": {
			const key = await auth.useKey(cmd.providerId, cmd.providerUserId, cmd.password ?? null);
			return plain(key);
		}
		case "createSession": {
			const session = await auth.createSession({
				userId: cmd.userId,
				attributes: cmd.attributes ?? {}
			});
			return sessionOut(session);
		}
		case "validateSession":
			return sessionOut(await auth.validateSession(cmd.sessionId));
		case "getUser":
			return { user: plain(await auth.getUser(cmd.userId)) };
		case "deleteUser":
			await auth.deleteUser(cmd.userId);
			return {};
		default:
			throw new Error(`unknown op ${JSON.stringify(cmd.op)}`);
	}
};

const main = async () => {
	const req = JSON.parse(await readStdin());
	const { adapter, close } = await connect(req.db, req.tables);
	const auth = lucia({
		adapter,
		env: "PROD",
		// Every column but Lucia's own is an attribute, as Latch reads them.
		getUserAttributes: (databaseUser) => {
			const { id, ...attributes } = databaseUser;
			// As a Lucia app on SQLite reads its integer email_verified.
			for (const name of req.booleans ?? []) {
				if (name in attributes) attributes[name] = Boolean(attributes[name]);
			}
			return attributes;
		},
		getSessionAttributes: (databaseSession) => {
			const { id, user_id, active_expires, idle_expires, ...attributes } = databaseSession;
			return attributes;
		}
	});
	const results = [];
	const state = {};
	try {
		for (const cmd of req.commands) {
			try {
				results.push(await run(auth, cmd, state));
			} catch (e) {
				if (e instanceof LuciaError) {
					results.push({ error: { code: e.message, message: e.detail || e.message } });
				} else {
					results.push({ error: { code: "ERROR", message: String(e?.stack ?? e) } });
				}
			}
		}
	} finally {
		await close();
	}
	process.stdout.write(JSON.stringify({ results }) + "\n");
};

main().catch((e) => {
	process.stderr.write(String(e?.stack ?? e) + "\n");
	process.exit(1);
});
