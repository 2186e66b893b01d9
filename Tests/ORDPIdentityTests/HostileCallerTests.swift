import Foundation
import ORDPAuth
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Identity against callers who send what it does not expect or try to keep or gain rights,
/// through the real executable.
@Suite struct IdentityHostileCallerTests {
  /// A fresh identity with a client and the platform admin's token.
  struct Fixture {
    let identity: IdentityProcess
    let channel: RPCChannel
    let client: Ordp_Identity_V1_Identity_Client
    let root: String

    init() async throws {
      try await self.init(identity: IdentityProcess.start())
    }

    func stop() {
      channel.close()
      identity.stop()
    }

    /// A service account of `town` with an API key of `scopes`, exchanged for a token.
    func serviceToken(_ name: String, town: String, scopes: [String]) async throws -> String {
      try await client.serviceKey(name, in: town, scopes: scopes, admin: root).token
    }

    /// Whether identity still answers.
    func alive() async throws -> Bool {
      try await !client.listOrganisations(.init()).organisations.isEmpty
    }
  }

  @Test func integersBeyondWhatTheStoreHoldsAreInvalidArgumentsNotCrashes() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    let revocations = await statusOf {
      try await fixture.client.listRevocations(.with { $0.afterSequence = 1 << 63 })
    }
    #expect(revocations?.code == .invalidArgument)
    #expect(revocations?.message.hasPrefix("after_sequence:") == true)
    let audit = await statusOf {
      try await fixture.client.queryAudit(
        .with { $0.pageToken = "9223372036854775808" }, options: bearer(fixture.root))
    }
    #expect(audit?.code == .invalidArgument && audit?.message.hasPrefix("page_token:") == true)
    #expect(try await fixture.alive())
    // The largest valid value works.
    let latest = try await fixture.client.listRevocations(
      .with { $0.afterSequence = UInt64(Int64.max) })
    #expect(latest.revocations.isEmpty && !latest.more)
  }

  @Test func aSessionRefreshesForItsLifetimeAndAReusedTokenEndsIt() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    _ = try await fixture.client.createUser("menden.user", in: "menden", token: fixture.root)
    let login = try await fixture.client.login("menden.user", "Correct-Horse-Battery-7")
    var refreshTokens = [login.refreshToken]
    for _ in 0..<6 {
      let next = try await fixture.client.refresh(.with { $0.refreshToken = refreshTokens.last! })
      #expect(next.refreshExpiresInSeconds > 11 * 3600)
      refreshTokens.append(next.refreshToken)
      _ = try await fixture.client.getUser(.init(), options: bearer(next.accessToken))
    }
    // An old token comes back: someone holds a copy. The whole session ends.
    let reuse = await statusOf {
      try await fixture.client.refresh(.with { $0.refreshToken = refreshTokens[2] })
    }
    #expect(reuse?.code == .unauthenticated && reuse?.message.contains("already used") == true)
    let newest = await statusOf {
      try await fixture.client.refresh(.with { $0.refreshToken = refreshTokens.last! })
    }
    #expect(newest?.code == .unauthenticated)
  }

  @Test func aServiceAccountCannotGrantRightsItLacks() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    let client = fixture.client
    // Soest's user manager: may administer identity and read, but not write data.
    let manager = try await fixture.serviceToken(
      "user-manager", town: "soest",
      scopes: ["identity:admin", "catalogue:read", "analytics:query"])
    let editor = await statusOf {
      try await client.createUser("soest.new-editor", in: "soest", role: .editor, token: manager)
    }
    #expect(editor?.code == .permissionDenied && editor?.message.contains("lacks") == true)
    let viewer = try await client.createUser(
      "soest.new-viewer", in: "soest", role: .viewer, token: manager)
    let promote = await statusOf {
      try await client.setMembership(
        .with {
          $0.userID = viewer.id
          $0.organisationID = "soest"
          $0.role = .admin
        }, options: bearer(manager))
    }
    #expect(promote?.code == .permissionDenied)
    // Nor take over a stronger account by resetting its password.
    let admin = try await client.createUser(
      "soest.chief", in: "soest", role: .admin, token: fixture.root)
    let takeover = await statusOf {
      try await client.changePassword(
        .with {
          $0.userID = admin.id
          $0.newPassword = "Mallory-Owns-This-Now-42"
        }, options: bearer(manager))
    }
    #expect(takeover?.code == .permissionDenied)
    _ = try await client.login("soest.chief", "Correct-Horse-Battery-7")
    // Nor mint a key with more than its own.
    let account = try await client.createServiceAccount(
      .with {
        $0.organisationID = "soest"
        $0.name = "minted"
      }, options: bearer(manager))
    let minted = await statusOf {
      try await client.createApiKey(
        .with {
          $0.serviceAccountID = account.id
          $0.scopes = ["catalogue:write"]
        }, options: bearer(manager))
    }
    #expect(minted?.code == .permissionDenied)
  }

  @Test func aLoweredRoleReachesTokensAlreadyIssued() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    let client = fixture.client
    let user = try await client.createUser(
      "olpe.lead", in: "olpe", role: .admin, token: fixture.root)
    let session = try await client.login("olpe.lead", "Correct-Horse-Battery-7")
    // As admin the user may read Olpe's audit log.
    _ = try await client.queryAudit(
      .with { $0.organisationID = "olpe" }, options: bearer(session.accessToken))
    _ = try await client.setMembership(
      .with {
        $0.userID = user.id
        $0.organisationID = "olpe"
        $0.role = .viewer
      }, options: bearer(fixture.root))
    // The token that still says "admin" stops (identity syncs its revocations every second).
    var refused: RPCError?
    for _ in 0..<50 {
      refused = await statusOf {
        try await client.queryAudit(
          .with { $0.organisationID = "olpe" }, options: bearer(session.accessToken))
      }
      if refused?.code == .unauthenticated { break }
      try await Task.sleep(for: .milliseconds(100))
    }
    #expect(refused?.code == .unauthenticated)
    // The session goes on: a refresh gives a token with the new role.
    let refreshed = try await client.refresh(.with { $0.refreshToken = session.refreshToken })
    let me = try await client.getUser(.init(), options: bearer(refreshed.accessToken))
    #expect(me.memberships.map(\.role) == [.viewer])
    let denied = await statusOf {
      try await client.queryAudit(
        .with { $0.organisationID = "olpe" }, options: bearer(refreshed.accessToken))
    }
    #expect(denied?.code == .permissionDenied)
  }

  @Test func guessingTheCurrentPasswordIsThrottledLikeALogin() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    _ = try await fixture.client.createUser("arnsberg.user", in: "arnsberg", token: fixture.root)
    let token = try await fixture.client.login("arnsberg.user", "Correct-Horse-Battery-7")
      .accessToken
    var codes: [StatusCode] = []
    for attempt in 0..<(IdentityProcess.lockThreshold + 1) {
      let error = await statusOf {
        try await fixture.client.changePassword(
          .with {
            $0.currentPassword = "guess-number-\(attempt)"
            $0.newPassword = "A-Much-Better-Password-9"
          }, options: bearer(token))
      }
      codes.append(error?.code ?? .ok)
    }
    #expect(codes.prefix(IdentityProcess.lockThreshold).allSatisfy { $0 == .permissionDenied })
    #expect(codes.last == .resourceExhausted)
    // Locked even for the right password, as a login would be.
    let right = await statusOf {
      try await fixture.client.changePassword(
        .with {
          $0.currentPassword = "Correct-Horse-Battery-7"
          $0.newPassword = "A-Much-Better-Password-9"
        }, options: bearer(token))
    }
    #expect(right?.code == .resourceExhausted)
  }

  @Test func identitysDatabaseAndDirectoryAreOwnerOnly() async throws {
    let data = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-identity-perm-\(UUID().uuidString)")
    let previous = umask(0o022)
    defer { umask(previous) }
    let fixture = try await Fixture.starting(in: data)
    defer { fixture.stop() }
    func mode(_ path: String) throws -> Int {
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
    }
    #expect(try mode(data.path) == 0o700)
    for file in ["identity.sqlite", "identity.sqlite-wal", "identity.sqlite-shm"] {
      let path = data.appendingPathComponent(file).path
      guard FileManager.default.fileExists(atPath: path) else { continue }
      #expect(try mode(path) == 0o600, "\(file)")
    }
  }

  @Test func concurrentChangesToOneUserDoNotUndoEachOther() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    let client = fixture.client
    let user = try await client.createUser("soest.many", in: "soest", token: fixture.root)
    let towns = ["arnsberg", "bad-berleburg", "menden", "olpe", "iserlohn"]
    // Each town's membership is set while a password reset (scrypt) runs for the same user.
    for (round, town) in towns.enumerated() {
      async let reset = client.changePassword(
        .with {
          $0.userID = user.id
          $0.newPassword = "Reset-Number-\(round)-Is-Long-Enough"
        }, options: bearer(fixture.root))
      async let membership = client.setMembership(
        .with {
          $0.userID = user.id
          $0.organisationID = town
          $0.role = .viewer
        }, options: bearer(fixture.root))
      _ = try await (reset, membership)
    }
    let now = try await client.getUser(.with { $0.id = user.id }, options: bearer(fixture.root))
    #expect(Set(now.memberships.map(\.organisationID)) == Set(towns + ["soest"]))
    _ = try await client.login("soest.many", "Reset-Number-4-Is-Long-Enough")
  }

  @Test func signingDuringKeyRotationsNeverFails() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    let client = fixture.client
    let (key, _) = try await client.serviceKey(
      "busy", in: "soest", scopes: ["analytics:ingest"], admin: fixture.root)
    let failures = try await withThrowingTaskGroup(of: Int.self) { group in
      for _ in 0..<4 {
        group.addTask {
          var failed = 0
          for _ in 0..<60 {
            let error = await statusOf {
              try await client.exchangeApiKey(.with { $0.apiKey = key.secret })
            }
            if error != nil { failed += 1 }
          }
          return failed
        }
      }
      for _ in 0..<15 {
        _ = try await client.rotateSigningKey(.init(), options: bearer(fixture.root))
      }
      return try await group.reduce(0, +)
    }
    #expect(failures == 0)
  }
}

extension IdentityHostileCallerTests.Fixture {
  /// A fixture whose identity keeps its data in `directory`.
  static func starting(in directory: URL) async throws -> Self {
    try await Self(identity: IdentityProcess.start(dataDirectory: directory))
  }

  init(identity: IdentityProcess) async throws {
    self.identity = identity
    channel = try identity.channel()
    client = Ordp_Identity_V1_Identity_Client(channel: channel)
    root = try await client.login("admin", IdentityProcess.adminPassword).accessToken
  }
}

extension IdentityHostileCallerTests {
  /// A login with a password of megabytes is refused as too large before it is decoded (or,
  /// when its frame header arrives before its payload, before the payload is read).
  @Test func requestsLargerThanTheirMethodTakesAreRefusedUndecoded() async throws {
    let fixture = try await Fixture()
    defer { fixture.stop() }
    let error = await statusOf {
      try await fixture.client.login(
        .with {
          $0.username = "admin"
          $0.password = String(repeating: "p", count: 3 << 20)
        })
    }
    #expect(error?.code == .resourceExhausted && error?.message.contains("bytes exceeds") == true)
    #expect(try await fixture.alive())
  }
}
