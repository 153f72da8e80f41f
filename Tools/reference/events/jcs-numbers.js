// Records golden ECMAScript number serializations for Tests/EventLogTests/Vectors/jcs-numbers.txt.
// RFC 8785 defines a JSON number's canonical text as ECMAScript's Number-to-String; node is that
// reference. Values: the RFC's Appendix B samples and edge cases, a run of subnormals, and doubles
// from a SHA-256 chain (seeded, so the file is reproducible). Usage: node jcs-numbers.js > FILE
"use strict";
const crypto = require("crypto");
const fixed = [
    0x0000000000000000n, 0x8000000000000000n, 0x0000000000000001n, 0x8000000000000001n,
    0x7fefffffffffffffn, 0xffefffffffffffffn, 0x4340000000000000n, 0xc340000000000000n,
    0x4340000000000001n, 0x4340000000000002n, 0x4430000000000000n, 0x44b52d02c7e14af5n,
    0x44b52d02c7e14af6n, 0x44b52d02c7e14af7n, 0x444b1ae4d6e2ef4en, 0x444b1ae4d6e2ef4fn,
    0x444b1ae4d6e2ef50n, 0x3eb0c6f7a0b5ed8cn, 0x3eb0c6f7a0b5ed8dn, 0x41b3de4355555553n,
    0x41b3de4355555554n, 0x41b3de4355555555n, 0x41b3de4355555556n, 0x41b3de4355555557n,
    0xbecbf647612f3696n, 0x43143ff3c1cb0959n, 0x3ff0000000000000n, 0xbff0000000000000n,
    0x3fd3333333333333n, 0x3fb999999999999an, 0x4024000000000000n, 0x3ea0c6f7a0b5ed8dn,
    0x3e6ad7f29abcaf48n, 0x0010000000000000n, 0x000fffffffffffffn, 0x3feffffffffffffan,
];
const lines = [];
const buf = new ArrayBuffer(8);
const u64 = new BigUint64Array(buf), f64 = new Float64Array(buf);
function emit(bits) {
    u64[0] = bits;
    const f = f64[0];
    if (!isFinite(f)) return;
    lines.push(bits.toString(16).padStart(16, "0") + "," + String(f));
}
fixed.forEach(emit);
for (let i = 0n; i < 200n; i++) emit(0x0010000000000000n + i);
let block = Buffer.alloc(32);
while (lines.length < 5000) {
    block = crypto.createHash("sha256").update(block).digest();
    for (let i = 0; i < 4; i++) emit(block.readBigUInt64LE(i * 8));
}
process.stdout.write(lines.join("\n") + "\n");
