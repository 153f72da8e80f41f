import SightlineCore
import Testing

/// Credentials of camera URLs are masked in any text Sightline writes.
@Suite struct CredentialRedactionTests {
    @Test(arguments: [
        ("rtsp://admin:hunter2@cam.local/live", "rtsp://***@cam.local/live"),
        ("rtsp://admin@cam.local:554/live", "rtsp://***@cam.local:554/live"),
        ("rtsps://a:b@[fe80::1]:322/x", "rtsps://***@[fe80::1]:322/x"),
        ("rtsp://cam/live?user=admin&password=hunter2&channel=1", "rtsp://cam/live?user=***&password=***&channel=1"),
        ("rtsp://cam/live?PWD=x#frag", "rtsp://cam/live?PWD=***#frag"),
        // A password holding '@' (unencoded): everything up to the last '@' of the authority goes.
        ("rtsp://admin:p@ss@cam/live", "rtsp://***@cam/live"),
        // In the middle of a log line or an error, twice.
        ("camera offline: cannot open rtsp://u:p@h/s (refused); was rtsp://u:q@h2/s",
         "camera offline: cannot open rtsp://***@h/s (refused); was rtsp://***@h2/s"),
        ("no url here: a@b", "no url here: a@b"),
        ("rtsp://cam/live", "rtsp://cam/live"),
        ("'rtsp://u:p@h/s'", "'rtsp://***@h/s'"),
    ])
    func redacts(text: String, expected: String) {
        #expect(CredentialRedaction.redact(text) == expected)
    }

    @Test func urlParts() {
        #expect(CredentialRedaction.host(ofURL: "rtsp://u:p@cam:554/x") == "cam")
        #expect(CredentialRedaction.host(ofURL: "rtsp://[::1]:554/x") == "::1")
        #expect(CredentialRedaction.host(ofURL: "rtsp:///x") == nil)
        #expect(CredentialRedaction.userInfo(ofURL: "rtsp://u:p:q@cam/x")?.user == "u")
        #expect(CredentialRedaction.userInfo(ofURL: "rtsp://u:p:q@cam/x")?.password == "p:q")
        #expect(CredentialRedaction.userInfo(ofURL: "rtsp://u@cam/x")?.password == nil)
        #expect(CredentialRedaction.userInfo(ofURL: "rtsp://cam/x") == nil)
        #expect(CredentialRedaction.url("rtsp://admin@cam/x?a=1", withUser: "admin", password: "p:@ /")
            == "rtsp://admin:p%3A%40%20%2F@cam/x?a=1")
        #expect(CredentialRedaction.url("rtsp://cam/x", withUser: "ü", password: "") == "rtsp://%C3%BC:@cam/x")
    }
}
