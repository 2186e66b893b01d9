import Foundation
import GRDB
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Through the real executable over TLS: lockout, audit, durability, bad input.
@Suite struct AbuseAndAuditTests {
  @Test func lockoutHoldsAndLooksTheSameForUnknownUsers() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let root = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    _ = try await client.createUser("menden.viewer", in: "menden", token: root)

    /// The status of each of `count` wrong logins, then of one with `finalPassword`.
    func attempts(_ username: String, finalPassword: String) async -> [String] {
      var outcomes: [String] = []
      for _ in 0..<IdentityProcess.lockThreshold {
        let error = await statusOf { try await client.login(username, "Wrong-Password-123") }
        outcomes.append("\(error?.code.description ?? "OK"): \(error?.message ?? "")")
      }
      let final = await statusOf { try await client.login(username, finalPassword) }
      outcomes.append(
        "\(final?.code.description ?? "OK"): \(final?.message.replacingOccurrences(of: #"\d+ s"#, with: "N s", options: .regularExpression) ?? "")"
      )
      return outcomes
    }

    let known = await attempts("menden.viewer", finalPassword: "Correct-Horse-Battery-7")
    let unknown = await attempts("nobody.here", finalPassword: "Correct-Horse-Battery-7")
    // The right password is refused while locked; an unknown user sees exactly the same.
    #expect(known == unknown)
    #expect(
      known.prefix(IdentityProcess.lockThreshold).allSatisfy {
        $0 == "UNAUTHENTICATED: invalid username or password"
      })
    #expect(known.last == "RESOURCE_EXHAUSTED: too many failed logins; try again in N s")
    // Other users are not affected.
    _ = try await client.login("admin", IdentityProcess.adminPassword)

    // After the lock the right password works again.
    try await Task.sleep(for: .seconds(IdentityProcess.lockSeconds))
    let session = try await client.login("menden.viewer", "Correct-Horse-Battery-7")
    #expect(!session.accessToken.isEmpty)

    var audit = Ordp_Identity_V1_QueryAuditRequest()
    audit.organisationID = "menden"
    let events = try await client.queryAudit(audit, options: bearer(root)).events
    #expect(
      events.filter { $0.action == "login" && $0.outcome == "failed" }.count
        == IdentityProcess.lockThreshold)
    #expect(events.contains { $0.action == "login" && $0.outcome == "ok" })
    #expect(events.filter { $0.action == "login" }.allSatisfy { $0.source == "127.0.0.1" })
  }

  @Test func auditIsQueryableByTownActorAndTimeWithCursorPaging() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let root = try await client.login("admin", IdentityProcess.adminPassword)
    let start = Int64(Date().timeIntervalSince1970 * 1_000_000)
    for index in 0..<7 {
      _ = try await client.createUser("soest.user\(index)", in: "soest", token: root.accessToken)
    }
    _ = try await client.createUser("olpe.user", in: "olpe", token: root.accessToken)

    var query = Ordp_Identity_V1_QueryAuditRequest()
    query.organisationID = "soest"
    query.pageSize = 3
    query.fromMicros = start
    var pages: [[Ordp_Identity_V1_AuditEvent]] = []
    repeat {
      let page = try await client.queryAudit(query, options: bearer(root.accessToken))
      pages.append(page.events)
      query.pageToken = page.nextPageToken
    } while !query.pageToken.isEmpty
    let events = pages.flatMap { $0 }
    #expect(pages.map(\.count) == [3, 3, 1])
    #expect(events.map(\.action) == Array(repeating: "user.create", count: 7))
    #expect(Set(events.map(\.sequence)).count == 7)
    #expect(events.map(\.sequence) == events.map(\.sequence).sorted(by: >))
    #expect(events.allSatisfy { $0.organisationIds == ["soest"] && $0.outcome == "ok" })
    #expect(events.allSatisfy { $0.actor == root.subject })

    query = .init()
    query.actor = root.subject
    query.fromMicros = start
    query.toMicros = events.last!.atMicros + 1  // the first soest user only
    let ranged = try await client.queryAudit(query, options: bearer(root.accessToken)).events
    #expect(ranged.count == 1)
    query.toMicros = 0
    query.pageToken = "garbage"
    let bad = await statusOf {
      try await client.queryAudit(query, options: bearer(root.accessToken))
    }
    #expect(bad?.code == .invalidArgument && bad?.message.hasPrefix("page_token") == true)

    // Append-only, also for someone with the database file in hand.
    let queue = try DatabaseQueue(
      path: identity.dataDirectory.appendingPathComponent("identity.sqlite").path)
    #expect(throws: DatabaseError.self) {
      try queue.write { db in try db.execute(sql: "UPDATE audit_event SET outcome = 'ok'") }
    }
    #expect(throws: DatabaseError.self) {
      try queue.write { db in try db.execute(sql: "DELETE FROM audit_event") }
    }
  }

  @Test func acknowledgedWritesSurviveKill9() async throws {
    let first = try await IdentityProcess.start()
    var channel = try first.channel()
    var client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let root = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    var ids: [String] = []
    for index in 0..<5 {
      ids.append(try await client.createUser("arnsberg.k\(index)", in: "arnsberg", token: root).id)
    }
    first.stop(signal: SIGKILL)
    channel.close()

    let second = try await IdentityProcess.start(dataDirectory: first.dataDirectory)
    defer { second.stop() }
    channel = try second.channel()
    defer { channel.close() }
    client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let again = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    for id in ids {
      var get = Ordp_Identity_V1_GetUserRequest()
      get.id = id
      #expect(
        try await client.getUser(get, options: bearer(again)).memberships.first?.organisationID
          == "arnsberg")
    }
    _ = try await client.login("arnsberg.k4", "Correct-Horse-Battery-7")
    // The old token still verifies: same signing key after the restart.
    #expect(try await client.getUser(.init(), options: bearer(root)).username == "admin")
  }

  @Test func badInputGetsPreciseStatuses() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let root = try await client.login("admin", IdentityProcess.adminPassword).accessToken

    func create(_ edit: (inout Ordp_Identity_V1_CreateUserRequest) -> Void) async -> RPCError? {
      var request = Ordp_Identity_V1_CreateUserRequest()
      request.username = "soest.valid"
      request.password = "Correct-Horse-Battery-7"
      var membership = Ordp_Identity_V1_Membership()
      membership.organisationID = "soest"
      membership.role = .viewer
      request.memberships = [membership]
      edit(&request)
      return await statusOf { try await client.createUser(request, options: bearer(root)) }
    }
    let cases: [(String, (inout Ordp_Identity_V1_CreateUserRequest) -> Void, StatusCode, String)] =
      [
        (
          "short password", { $0.password = "short" }, .invalidArgument,
          "password: must be at least 12"
        ),
        (
          "common password", { $0.password = "Passwort2024!!" }, .invalidArgument,
          "password: is too common"
        ),
        (
          "password with username", { $0.password = "my-soest.valid-pass" }, .invalidArgument,
          "password: must not contain"
        ),
        ("bad username", { $0.username = "a b" }, .invalidArgument, "username:"),
        ("bad email", { $0.email = "not-an-address" }, .invalidArgument, "email:"),
        (
          "unknown role", { $0.memberships[0].role = .unspecified }, .invalidArgument,
          "memberships[0].role:"
        ),
        (
          "bad town id", { $0.memberships[0].organisationID = "Soest!" }, .invalidArgument,
          "memberships[0].organisation_id:"
        ),
        (
          "unknown town", { $0.memberships[0].organisationID = "atlantis" }, .notFound,
          "organisation atlantis not found"
        ),
      ]
    for (name, edit, code, message) in cases {
      let error = await create(edit)
      #expect(error?.code == code, "\(name): \(error?.description ?? "accepted")")
      #expect(
        error?.message.hasPrefix(message) == true || error?.message.contains(message) == true,
        "\(name): \(error?.message ?? "")")
    }
    #expect(await create { _ in } == nil)
    #expect(await create { _ in }?.code == .alreadyExists)
    #expect(await create { $0.username = "SOEST.VALID" }?.code == .alreadyExists)

    var key = Ordp_Identity_V1_CreateApiKeyRequest()
    key.serviceAccountID = "sa-unknown"
    key.scopes = ["catalogue:read"]
    #expect(
      await statusOf { try await client.createApiKey(key, options: bearer(root)) }?.code
        == .notFound)
    var account = Ordp_Identity_V1_CreateServiceAccountRequest()
    account.organisationID = "soest"
    account.name = "harvester"
    let created = try await client.createServiceAccount(account, options: bearer(root))
    #expect(
      await statusOf { try await client.createServiceAccount(account, options: bearer(root)) }?.code
        == .alreadyExists)
    key.serviceAccountID = created.id
    key.scopes = ["catalogue:everything"]
    let unknownScope = await statusOf { try await client.createApiKey(key, options: bearer(root)) }
    #expect(
      unknownScope?.code == .invalidArgument && unknownScope?.message.hasPrefix("scopes:") == true)
    key.scopes = []
    #expect(
      await statusOf { try await client.createApiKey(key, options: bearer(root)) }?.code
        == .invalidArgument)
    key.scopes = ["catalogue:read"]
    key.expiresAtMicros = 1
    let past = await statusOf { try await client.createApiKey(key, options: bearer(root)) }
    #expect(past?.code == .invalidArgument && past?.message.hasPrefix("expires_at_micros") == true)

    var town = Ordp_Identity_V1_CreateOrganisationRequest()
    town.id = "-hemer"
    town.displayName = "Hemer"
    #expect(
      await statusOf { try await client.createOrganisation(town, options: bearer(root)) }?.code
        == .invalidArgument)
    town.id = "soest"
    #expect(
      await statusOf { try await client.createOrganisation(town, options: bearer(root)) }?.code
        == .alreadyExists)
    town.id = "hemer"
    for key in [
      "0596201", "059620160", "0596201x", "０５９６２０１６", String(repeating: "0", count: 2000),
    ] {
      town.municipalityKey = key
      let bad = await statusOf { try await client.createOrganisation(town, options: bearer(root)) }
      #expect(bad?.code == .invalidArgument && bad?.message.hasPrefix("municipality_key") == true)
    }
    // Far beyond what the method takes: refused from the frame header, before decoding.
    town.municipalityKey = String(repeating: "0", count: 100_000)
    let huge = await statusOf { try await client.createOrganisation(town, options: bearer(root)) }
    #expect(huge?.code == .resourceExhausted, "\(String(describing: huge))")
    town.municipalityKey = "05962016"
    let hemer = try await client.createOrganisation(town, options: bearer(root))
    #expect(hemer.kind == .joining && hemer.municipalityKey == "05962016")

    var login = Ordp_Identity_V1_LoginRequest()
    #expect(await statusOf { try await client.login(login) }?.message == "username: is required")
    login.username = "admin"
    #expect(await statusOf { try await client.login(login) }?.message == "password: is required")
    var get = Ordp_Identity_V1_GetOrganisationRequest()
    get.id = "nowhere"
    #expect(await statusOf { try await client.getOrganisation(get) }?.code == .notFound)

    // The server is still fine for everybody.
    #expect(try await client.listOrganisations(.init()).organisations.count == 7)
  }
}
