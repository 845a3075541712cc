'use strict';
/*
 * barrier.js — a listener that knows when it has everything (a helper, not
 * a test: not executable, so scripts/test.sh skips it).
 *
 * NOTIFY delivers in commit order: once a test's own NOTIFY on the barrier
 * channel, sent after a write has committed, has arrived, so has every
 * notification of that write.  until(token) resolves with the notifications
 * received before that barrier (and consumes them), or rejects after the
 * timeout; nothing sleeps.
 *
 *   const listener = new Listener(client, 'my_barrier', 20000);
 *   await writer.query("NOTIFY my_barrier, 'b1'");
 *   const msgs = await listener.until('b1');
 */

class Listener {
	constructor(client, barrier, timeoutMs) {
		this.barrier = barrier;
		this.timeoutMs = timeoutMs;
		this.received = [];
		this.waiter = null;
		client.on('notification', (msg) => {
			this.received.push(msg);
			if (this.waiter)
				this.waiter();
		});
	}

	/* The notifications before the barrier with this token (consumed). */
	until(token) {
		return new Promise((resolve, reject) => {
			const look = () => {
				const at = this.received.findIndex(
					(m) => m.channel === this.barrier && m.payload === token);
				if (at < 0)
					return;
				clearTimeout(timer);
				this.waiter = null;
				const before = this.received.slice(0, at);
				this.received = this.received.slice(at + 1);
				resolve(before);
			};
			const timer = setTimeout(() => {
				this.waiter = null;
				reject(new Error(`barrier ${token} not received within ${this.timeoutMs} ms;`
								 + ` received: ${JSON.stringify(this.received.map((m) => m.channel))}`));
			}, this.timeoutMs);
			this.waiter = look;
			look();
		});
	}
}

module.exports = { Listener };
