import Crypto
import EventLog
import Testing

/// Ed25519 through swift-crypto against RFC 8032 section 7.1 (TEST 1-3), and C2SP signed notes
/// against golang.org/x/mod/sumdb/note's PeterNeumann vector.
@Suite struct SignatureTests {
    struct RFC8032: Sendable {
        var secret, publicKey, message, signature: String
    }

    static let rfc8032 = [
        RFC8032(
            secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        RFC8032(
            secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", message: "72",
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        RFC8032(
            secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", message: "af82",
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    @Test(arguments: rfc8032)
    func ed25519(vector: RFC8032) throws {
        let key = DeviceKey(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: hex(vector.secret)))
        #expect(key.publicKeyBytes == hex(vector.publicKey))
        let sig = key.sign(hex(vector.message))
        #expect(sig == hex(vector.signature))
        #expect(key.privateKey.publicKey.isValidSignature(sig, for: hex(vector.message)))
        var bad = sig
        bad[10] ^= 1
        #expect(!key.privateKey.publicKey.isValidSignature(bad, for: hex(vector.message)))
    }

    static let peterText =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let peterNote =
        peterText
        + "\n\u{2014} PeterNeumann "
        + "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    @Test func signedNoteMatchesGoReference() throws {
        // PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz: 0x01 then the seed.
        let skey = Encoding.bytes(base64: "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")!
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: skey.dropFirst())
        let pub = [UInt8](key.publicKey.rawRepresentation)
        #expect(
            SignedNote.verifierKey(name: "PeterNeumann", publicKey: pub)
                == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        #expect(SignedNote.sign(text: Self.peterText, name: "PeterNeumann", key: key) == Self.peterNote)
        #expect(SignedNote.open(Self.peterNote, name: "PeterNeumann", publicKey: key.publicKey) == Self.peterText)
        let forged = Self.peterNote.replacingOccurrences(of: "cryptography", with: "cryptographY")
        #expect(SignedNote.open(forged, name: "PeterNeumann", publicKey: key.publicKey) == nil)
        #expect(SignedNote.open(Self.peterNote, name: "Other", publicKey: key.publicKey) == nil)
    }

    @Test func checkpointRoundTripsAndRefusesOtherKeys() {
        let key = DeviceKey.generate()
        let cp = Checkpoint(
            origin: Checkpoint.origin(device: key.deviceID), size: 42, root: Array(repeating: 7, count: 32))
        let note = cp.signedNote(key: key)
        #expect(note.hasPrefix("sightline/\(key.deviceID)\n42\n"))
        #expect(Checkpoint.verify(note: note, publicKey: key.privateKey.publicKey) == cp)
        #expect(Checkpoint.verify(note: note, publicKey: DeviceKey.generate().privateKey.publicKey) == nil)
        #expect(
            Checkpoint.verify(
                note: note.replacingOccurrences(of: "\n42\n", with: "\n43\n"),
                publicKey: key.privateKey.publicKey) == nil)
    }
}
