import Foundation
import NIOSSL
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// `ordp dev up` as a new user meets it: identity with the towns and demo users, over TLS.
/// `ordp dev up` started with every port chosen by the system, its log in a file.
struct DevPlatform {
  let process: Process
  let dir: URL
  let output: String
  var log: URL { dir.appendingPathComponent("dev-up.log") }

  /// - Parameters:
  ///   - arguments: more options for dev up (`--partitions 2`).
  ///   - lines: the lines it prints once every service listens.
  static func start(arguments: [String] = [], lines: Int = 7) async throws -> DevPlatform {
    let ordp = productsDirectory.appendingPathComponent("ordp")
    try #require(
      FileManager.default.fileExists(atPath: ordp.path), "build the ordp executable first")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-devup-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let process = Process()
    process.executableURL = ordp
    process.arguments =
      [
        "dev", "up", "--port", "0", "--identity-port", "0", "--catalogue-port", "0",
        "--analytics-port", "0", "--echo-port", "0", "--data-dir", dir.path, "--pki-dir",
        dir.appendingPathComponent("pki").path, "--scrypt-log-n", "10", "--demo-datasets", "12",
      ] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    let log = dir.appendingPathComponent("dev-up.log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    process.standardError = try FileHandle(forWritingTo: log)
    try process.run()
    let output = await readLines(pipe, count: lines)
    return DevPlatform(process: process, dir: dir, output: output)
  }

  /// The port of the service whose "<name> on host:port" line dev up printed.
  func port(of name: String) throws -> Int {
    let line = try #require(output.split(separator: "\n").first { $0.contains("\(name) on") })
    return try #require(Int(line.split(separator: ":").last ?? ""))
  }

  /// A TLS channel to the gateway, the front door (dev up's first line).
  func gateway() throws -> RPCChannel {
    let line = try #require(output.split(separator: "\n").first { $0.contains("listening on") })
    let address = try #require(line.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
    let port = try #require(Int(address.dropFirst("127.0.0.1:".count)))
    return RPCChannel(
      host: "127.0.0.1", port: port,
      security: .tls(
        trustRoots: try NIOSSLCertificate.fromPEMFile(
          dir.appendingPathComponent("pki/ca.pem").path),
        serverHostname: "localhost"))
  }

  /// The demo users' password.
  var demoPassword: String {
    get throws {
      try String(contentsOf: dir.appendingPathComponent("demo-password"), encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
  }

  /// A TLS channel to that service.
  func connect(to name: String) throws -> RPCChannel {
    RPCChannel(
      host: "127.0.0.1", port: try port(of: name),
      security: .tls(
        trustRoots: try NIOSSLCertificate.fromPEMFile(
          dir.appendingPathComponent("pki/ca.pem").path),
        serverHostname: "localhost"))
  }

  /// The process id of dev up's child running `executable`.
  func child(_ executable: String) throws -> pid_t? {
    let tasks = "/proc/\(process.processIdentifier)/task"
    for task in try FileManager.default.contentsOfDirectory(atPath: tasks) {
      let children =
        (try? String(contentsOfFile: "\(tasks)/\(task)/children", encoding: .utf8)) ?? ""
      for pid in children.split(separator: " ").compactMap({ pid_t($0) }) {
        let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        if command.split(separator: "\0").first?.hasSuffix("/\(executable)") == true { return pid }
      }
    }
    return nil
  }

  func stop() -> Int32 {
    process.terminate()
    process.waitUntilExit()
    return process.terminationStatus
  }
}

@Suite(.serialized) struct DevUpTests {
  @Test func devUpServesIdentityWithDemoUsers() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let dir = platform.dir
    func connect(to name: String) throws -> RPCChannel { try platform.connect(to: name) }
    let channel = try connect(to: "identity")
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    #expect(try await client.listOrganisations(.init()).organisations.count == 6)
    let password = try String(
      contentsOf: dir.appendingPathComponent("demo-password"), encoding: .utf8
    ).trimmingCharacters(in: .whitespacesAndNewlines)
    let editor = try await client.login("soest.editor", password)
    #expect(
      Set(editor.scopes) == [
        "catalogue:read", "catalogue:write", "analytics:ingest", "analytics:query",
      ])
    let admin = try await client.login(
      "admin",
      try String(
        contentsOf: dir.appendingPathComponent("identity/initial-admin-password"), encoding: .utf8
      )
      .trimmingCharacters(in: .whitespacesAndNewlines))
    var list = Ordp_Identity_V1_ListUsersRequest()
    list.organisationID = "iserlohn"
    let users = try await client.listUsers(list, options: bearer(admin.accessToken)).users
    #expect(users.map(\.username) == ["iserlohn.admin", "iserlohn.editor", "iserlohn.viewer"])

    // The catalogue trusts identity's tokens.
    let catalogueChannel = try connect(to: "catalogue")
    defer { catalogueChannel.close() }
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: catalogueChannel)
    var create = Ordp_Catalogue_V1_CreateDatasetRequest()
    create.dataset.publisher = "soest"
    create.dataset.title = "Parkhäuser"
    create.dataset.description_p = "Belegung"
    let created = try await catalogue.createDataset(create, options: bearer(editor.accessToken))
    var get = Ordp_Catalogue_V1_GetDatasetRequest()
    get.id = "soest/parkhaeuser"
    #expect(try await catalogue.getDataset(get).id == created.id)

    // Analytics serves the demo sensors: public ones to anyone, internal ones with a token.
    let analyticsChannel = try connect(to: "analytics")
    defer { analyticsChannel.close() }
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: analyticsChannel)
    let open = try await analytics.latest(.init())
    let all = try await analytics.latest(.init(), options: bearer(editor.accessToken))
    #expect(open.values.count == 22 && all.values.count == 28)
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    #expect(all.values.allSatisfy { now - $0.timeMicros < 600_000_000 })
  }

  /// Every service is its own process: one that dies is restarted on its port, and logged,
  /// while the others keep serving; SIGTERM to dev up stops them all.
  @Test func aKilledServiceIsRestartedWhileTheOthersServe() async throws {
    let platform = try await DevPlatform.start()
    let identityChannel = try platform.connect(to: "identity")
    defer { identityChannel.close() }
    let identity = Ordp_Identity_V1_Identity_Client(channel: identityChannel)
    let catalogueChannel = try platform.connect(to: "catalogue")
    defer { catalogueChannel.close() }
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: catalogueChannel)
    var search = Ordp_Catalogue_V1_SearchRequest()
    search.pageSize = 50
    let before = try await catalogue.search(search).total
    #expect(before > 0)

    let killed = try #require(try platform.child("ordp-catalogue"))
    let identityPID = try #require(try platform.child("ordp-identity"))
    kill(killed, SIGKILL)
    // Identity goes on meanwhile.
    #expect(try await identity.listOrganisations(.init()).organisations.count == 6)
    // The catalogue comes back on its port with its data (restarted at once the first time).
    var after: UInt64? = nil
    for _ in 0..<200 where after == nil {
      after = try? await catalogue.search(search).total
      if after == nil { try await Task.sleep(for: .milliseconds(100)) }
    }
    #expect(after == before)
    let restarted = try #require(try platform.child("ordp-catalogue"))
    #expect(restarted != killed)
    #expect(try platform.child("ordp-identity") == identityPID)

    let children = try ["ordp-identity", "ordp-catalogue", "ordp-analytics"].map {
      try #require(try platform.child($0))
    }
    #expect(platform.stop() == 0)
    for pid in children { #expect(kill(pid, 0) == -1 && errno == ESRCH, "\(pid) still runs") }
    let log = try String(contentsOf: platform.log, encoding: .utf8)
    #expect(log.contains("ordp-catalogue was killed by signal 9; restarting in 0.0 seconds"))
    #expect(log.contains("ordp-catalogue restarted on port \(try platform.port(of: "catalogue"))"))
  }

  /// Ctrl-C in the terminal reaches dev up and every service at once (one process group):
  /// the services exit cleanly and are not restarted, and nothing is left running. (A service
  /// restarted in that moment outlived dev up before.)
  @Test func ctrlCStopsEveryProcessAndRestartsNone() async throws {
    let platform = try await DevPlatform.start()
    let children = try ["ordp-identity", "ordp-catalogue", "ordp-analytics", "ordp-gateway"].map {
      try #require(try platform.child($0))
    }
    for pid in children { kill(pid, SIGINT) }
    kill(platform.process.processIdentifier, SIGINT)
    platform.process.waitUntilExit()
    #expect(platform.process.terminationStatus == 0)
    for pid in children { #expect(kill(pid, 0) == -1 && errno == ESRCH, "\(pid) still runs") }
    // Nothing of this platform runs any more (a restarted service would).
    try await Task.sleep(for: .milliseconds(500))
    let survivors = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap {
      pid -> String? in
      guard Int32(pid) != nil,
        let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
        command.contains(platform.dir.path)
      else { return nil }
      return command.replacingOccurrences(of: "\0", with: " ")
    }
    #expect(survivors.isEmpty, "\(survivors)")
    let log = try String(contentsOf: platform.log, encoding: .utf8)
    #expect(!log.contains("restarting in"), "\(log.suffix(2000))")
  }

  /// A service that cannot start (its port taken) ends dev up with an error instead of
  /// leaving it running without it. (It hung before, deaf to SIGTERM: the echo server ignored
  /// the service group's cancellation.)
  @Test func aServiceThatCannotStartEndsDevUp() async throws {
    let first = try await DevPlatform.start()
    defer { _ = first.stop() }
    let dir = first.dir.appendingPathComponent("second")
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent("ordp")
    process.arguments = [
      "dev", "up", "--port", "0", "--identity-port", String(try first.port(of: "identity")),
      "--catalogue-port", "0", "--analytics-port", "0", "--echo-port", "0", "--data-dir",
      dir.path, "--pki-dir", dir.appendingPathComponent("pki").path, "--scrypt-log-n", "10",
      "--demo-datasets", "0",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    for _ in 0..<600 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
    let hung = process.isRunning
    if hung { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    #expect(!hung, "dev up still ran a minute after its identity could not listen")
    #expect(process.terminationStatus != 0)
  }

  /// One address for integrators: every service's calls, unary and streaming, through the
  /// gateway; tokens and scopes checked at the edge before any backend is asked.
  @Test func everyServiceIsReachedThroughTheGateway() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let channel = try platform.gateway()
    defer { channel.close() }
    let identity = Ordp_Identity_V1_Identity_Client(channel: channel)
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: channel)

    #expect(try await identity.listOrganisations(.init()).organisations.count == 6)
    let editor = try await identity.login("soest.editor", try platform.demoPassword)
    let viewer = try await identity.login("soest.viewer", try platform.demoPassword)

    // Catalogue: a write with the editor's token, reads without one, a stream.
    var create = Ordp_Catalogue_V1_CreateDatasetRequest()
    create.dataset.publisher = "soest"
    create.dataset.title = "Radzählstellen"
    create.dataset.description_p = "Zählungen"
    let created = try await catalogue.createDataset(create, options: bearer(editor.accessToken))
    #expect(try await catalogue.getDataset(.with { $0.id = created.id }).title == "Radzählstellen")
    #expect(try await catalogue.search(.with { $0.query = "Radzählstellen" }).total == 1)
    let exported = try await catalogue.export(.with { $0.publisher = "soest" }) { stream in
      var bytes = 0
      for try await chunk in stream { bytes += chunk.data.count }
      return bytes
    }
    #expect(exported > 0)

    // Analytics: public and internal sensors, a bidirectional ingest.
    #expect(try await analytics.latest(.init()).values.count == 22)
    #expect(
      try await analytics.latest(.init(), options: bearer(editor.accessToken)).values.count == 28)
    let stream = try await analytics.createDatastream(
      .with {
        $0.datastream.owner = "soest"
        $0.datastream.name = "Pegel Gateway"
        $0.datastream.observedProperty = "water_level"
        $0.datastream.unit = "cm"
      }, options: bearer(editor.accessToken))
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    let accepted = try await analytics.ingest(options: bearer(editor.accessToken)) { writer in
      try await writer.write(
        .with {
          $0.batchID = 1
          $0.series = [
            .with {
              $0.datastreamID = stream.id
              $0.timesMicros = [now - 2_000_000, now - 1_000_000]
              $0.results = [41, 42]
            }
          ]
        })
    } onResponse: { acks in
      var accepted: UInt64 = 0
      for try await ack in acks { accepted += ack.accepted }
      return accepted
    }
    #expect(accepted == 2)

    // At the edge: a write outside the token's scopes, and an ingest-only key reading.
    let denied = await statusOf {
      try await catalogue.createDataset(create, options: bearer(viewer.accessToken))
    }
    #expect(denied?.code == .permissionDenied)
    #expect(denied?.message.contains("needs scope catalogue:write") == true)
    let admin = try await identity.login(
      "admin",
      try String(
        contentsOf: platform.dir.appendingPathComponent("identity/initial-admin-password"),
        encoding: .utf8
      ).trimmingCharacters(in: .whitespacesAndNewlines))
    let sensors = try await identity.serviceKey(
      "gateway-sensors", in: "soest", scopes: ["analytics:ingest"], admin: admin.accessToken)
    let keyRead = await statusOf {
      try await catalogue.search(.init(), options: bearer(sensors.token))
    }
    #expect(keyRead?.code == .permissionDenied)

    // Tokens are checked before any backend is asked: with the catalogue stopped (SIGSTOP),
    // calls without or with a forged token are answered at once.
    let catalogueProcess = try #require(try platform.child("ordp-catalogue"))
    kill(catalogueProcess, SIGSTOP)
    defer { kill(catalogueProcess, SIGCONT) }
    let quick = CallOptions(timeout: .seconds(5))
    let anonymous = await statusOf { try await catalogue.createDataset(create, options: quick) }
    #expect(anonymous?.code == .unauthenticated)
    var forged = quick
    forged.metadata.add("authorization", "Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA")
    let forgedStatus = await statusOf {
      try await catalogue.createDataset(create, options: forged)
    }
    #expect(forgedStatus?.code == .unauthenticated)
    // A request larger than its method takes is refused by the gateway itself.
    var lookup = Ordp_Catalogue_V1_GetDatasetRequest()
    lookup.id = String(repeating: "x", count: 100_000)
    let oversized = await statusOf { try await catalogue.getDataset(lookup, options: quick) }
    #expect(oversized?.code == .resourceExhausted)
    kill(catalogueProcess, SIGCONT)

    // A request id for every call (the client's when sane), in the trailers; client-sent
    // ordp-* metadata goes no further.
    var traced = CallOptions(timeout: .seconds(20))
    traced.metadata.add("ordp-request-id", "integrator-42")
    let missing = await statusOf {
      try await catalogue.getDataset(.with { $0.id = "soest/gibt-es-nicht" }, options: traced)
    }
    #expect(missing?.code == .notFound)
    #expect(missing?.metadata["ordp-request-id"] == "integrator-42")
  }
}
