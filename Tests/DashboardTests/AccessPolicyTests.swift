import Dashboard
import XCTest

/// The access rules as pure decisions: token files, what a request presents, addresses.
final class AccessPolicyTests: XCTestCase {
    let reader = "r-0123456789abcdef0123"
    let op = "o-0123456789abcdef0123"

    func tokens() throws -> AccessTokens {
        try AccessTokens(parsing: "# dashboard tokens\n\nreader \(reader)\noperator \(op)\n", source: "tokens.txt")
    }

    func testTokenFileGrantsReaderAndOperatorAndRejectsEverythingElse() throws {
        let t = try tokens()
        XCTAssertEqual(t.access(for: reader), .reader)
        XCTAssertEqual(t.access(for: op), .operator)
        XCTAssertNil(t.access(for: reader + "x"))
        XCTAssertNil(t.access(for: String(reader.dropLast())))
        XCTAssertNil(t.access(for: ""))
        XCTAssertEqual(try AccessTokens(parsing: "\(reader)\n", source: "f").access(for: reader), .reader, "a bare token reads")
    }

    func testBadTokenFilesSayWhichLineAndWhatToWrite() {
        XCTAssertThrowsError(try AccessTokens(parsing: "admin \(reader)\n", source: "t.txt")) {
            XCTAssertTrue("\($0)".contains("t.txt line 1"), "\($0)")
        }
        XCTAssertThrowsError(try AccessTokens(parsing: "reader short\n", source: "t.txt")) {
            XCTAssertTrue("\($0)".contains("at least 16"), "\($0)")
        }
        XCTAssertThrowsError(try AccessTokens(parsing: "# nothing\n", source: "t.txt")) {
            XCTAssertTrue("\($0)".contains("holds no token"), "\($0)")
        }
        XCTAssertThrowsError(try AccessTokens(file: "/nonexistent/tokens.txt")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/tokens.txt"), "\($0)")
        }
    }

    func testDecisionsForMissingBadAndGoodTokens() throws {
        let policy = AccessPolicy(tokens: try tokens())
        guard case .denied = policy.decide(bearer: nil, cookie: nil, queryToken: nil) else { return XCTFail("missing token must be denied") }
        guard case .denied = policy.decide(bearer: "wrong-token-0123456789", cookie: nil, queryToken: nil) else { return XCTFail("bad bearer") }
        guard case .denied = policy.decide(bearer: nil, cookie: "wrong-token-0123456789", queryToken: nil) else { return XCTFail("bad cookie") }
        guard case .denied = policy.decide(bearer: nil, cookie: nil, queryToken: "wrong-token-0123456789") else { return XCTFail("bad query") }
        XCTAssertEqual(policy.decide(bearer: reader, cookie: nil, queryToken: nil), .granted(.reader))
        XCTAssertEqual(policy.decide(bearer: op, cookie: nil, queryToken: nil), .granted(.operator))
        XCTAssertEqual(policy.decide(bearer: nil, cookie: op, queryToken: nil), .granted(.operator))
        XCTAssertEqual(policy.decide(bearer: nil, cookie: nil, queryToken: reader), .adoptQueryToken(.reader))
        // A bad bearer is not rescued by a good cookie: the explicit credential wins.
        guard case .denied = policy.decide(bearer: "wrong-token-0123456789", cookie: op, queryToken: nil) else { return XCTFail() }
        // Without tokens (loopback only) everyone reads and nobody acts.
        XCTAssertEqual(AccessPolicy(tokens: nil).decide(bearer: op, cookie: nil, queryToken: nil), .granted(.reader))
    }

    func testListenAddressesAndTheNonLoopbackRule() throws {
        XCTAssertTrue(try ListenAddress(parsing: "127.0.0.1:8080").isLoopback)
        XCTAssertTrue(try ListenAddress(parsing: "127.1.2.3:0").isLoopback)
        XCTAssertTrue(try ListenAddress(parsing: "localhost:80").isLoopback)
        XCTAssertTrue(try ListenAddress(parsing: "[::1]:8080").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "0.0.0.0:8080").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "127.0.0.1.evil.example:80").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "10.0.0.5:8080").isLoopback)
        XCTAssertThrowsError(try ListenAddress(parsing: "8080"))
        XCTAssertThrowsError(try ListenAddress(parsing: "host:99999"))
        XCTAssertThrowsError(try DashboardConfiguration(listen: ListenAddress(parsing: "0.0.0.0:8080"), tokens: nil)) {
            XCTAssertTrue("\($0)".contains("--token-file"), "\($0)")
        }
        XCTAssertNoThrow(try DashboardConfiguration(listen: ListenAddress(parsing: "0.0.0.0:8080"), tokens: tokens()))
    }
}
