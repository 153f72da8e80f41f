@testable import SightlineConfig
import Testing

/// F12: the daemon's loader refuses a plain http:// collector off loopback and an https:// one without a pin.
@Suite struct CollectorURLPolicyTests {
    @Test func plainHTTPOffLoopbackAndUnpinnedHTTPSAreRefusedAtTheirLine() {
        expectSingleIssue("""
            events: {}
            collector:
              url: http://203.0.113.7:8470
              pin: /etc/c.pem
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "collector.url", line: 3, "only for a collector on this machine", "203.0.113.7")
        expectSingleIssue("""
            events: {}
            collector:
              url: https://collector.example:8470
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "collector.url", line: 3, "needs pin:")
        for url in ["http://127.0.0.1:8470", "http://localhost:8470/", "http://[::1]:8470", "http://127.9.9.9"] {
            #expect(configIssues("""
                events: {}
                collector: {url: "\(url)"}
                cameras: [{id: a, source: "y4m:-"}]
                """).isEmpty, "\(url)")
        }
        for url in ["http://127.0.0.1.evil.example", "http://user@10.0.0.1", "http://[::2]:1", "http://localhost.example"] {
            #expect(!ConfigReader.isLoopbackURL(url), "\(url)")
        }
        #expect(ConfigReader.isLoopbackURL("http://user@127.0.0.1:80/x"))
    }
}
