import Foundation
import ORDPCatalogueAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// The `ordp` command line against `ordp dev up`, run as a user runs it: a session kept
/// between commands, and CKAN packages imported from a folder of what portals write.
@Suite(.serialized) struct CLITests {
  struct Run {
    var status: Int32
    var output: String
    var errors: String
    /// The CSV output's records, the header first.
    var records: [[Substring]] {
      output.trimmingCharacters(in: .newlines).split(separator: "\r\n").map {
        $0.split(separator: ",", omittingEmptySubsequences: false)
      }
    }
  }

  /// Runs `ordp` with `arguments` (to the platform's gateway, with `session` as session file;
  /// with `home` instead, `HOME` is set to it and the session file is the default one).
  static func ordp(
    _ arguments: [String], platform: DevPlatform, session: URL, input: Data? = nil,
    connect: Bool = true, home: URL? = nil
  ) async throws -> Run {
    let line = try #require(
      platform.output.split(separator: "\n").first { $0.contains("listening on") })
    let address = try #require(line.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent("ordp")
    process.arguments =
      arguments
      + (!connect
        ? []
        : [
          "--port", String(address.dropFirst("127.0.0.1:".count)), "--ca",
          platform.dir.appendingPathComponent("pki/ca.pem").path,
        ] + (home == nil ? ["--session-file", session.path] : []))
    if let home {
      var environment = ProcessInfo.processInfo.environment
      environment["HOME"] = home.path
      environment["XDG_CONFIG_HOME"] = nil
      environment["ORDP_SESSION_FILE"] = nil
      process.environment = environment
    }
    let out = platform.dir.appendingPathComponent("cli-\(UUID().uuidString).out")
    let err = platform.dir.appendingPathComponent("cli-\(UUID().uuidString).err")
    for file in [out, err] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    let stdin = Pipe()
    process.standardInput = stdin
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
      process.terminationHandler = { _ in done.resume() }
      do {
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try? stdin.fileHandleForWriting.close()
      } catch {
        done.resume()
      }
    }
    return Run(
      status: process.terminationStatus,
      output: try String(contentsOf: out, encoding: .utf8),
      errors: try String(contentsOf: err, encoding: .utf8))
  }

  /// A CKAN package of `town` (synthetic, written for this test).
  static func package(_ name: String, town: String) -> String {
    """
    {"id": "cli-\(name)", "name": "\(name)", "title": "Radwege \(name)",
     "notes": "Radwege im Stadtgebiet", "organization": {"name": "\(town)"},
     "license_id": "dl-by-de/2.0", "tags": [{"name": "Radverkehr"}],
     "resources": [{"url": "https://example.de/\(name).csv", "format": "CSV"}]}
    """
  }

  @Test func aSessionImportsCKANPackagesFromAFolder() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let session = platform.dir.appendingPathComponent("config/session.json")
    let ordp = CLI(platform: platform, session: session)

    // Not logged in: an import is anonymous and refused with UNAUTHENTICATED (64 + 16).
    let folder = platform.dir.appendingPathComponent("ckan")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let search = """
      {"help": "package_search", "success": true, "result": {"count": 3, "results": [
      \(Self.package("a", town: "soest")), \(Self.package("b", town: "soest")),
      \(Self.package("c", town: "soest"))]}}
      """
    try search.write(
      to: folder.appendingPathComponent("1-search.json"), atomically: true, encoding: .utf8)
    try "[\(Self.package("d", town: "soest")), \(Self.package("e", town: "olpe"))]".write(
      to: folder.appendingPathComponent("2-array.json"), atomically: true, encoding: .utf8)
    try "{\"success\": true, \"result\": [\"verkehr\", \"umwelt\"]}".write(
      to: folder.appendingPathComponent("3-groups.json"), atomically: true, encoding: .utf8)
    let anonymous = try await ordp(["datasets", "import-ckan", folder.path, "--quiet"])
    #expect(anonymous.status == 80, "\(anonymous)")
    #expect(anonymous.errors.hasPrefix("error: UNAUTHENTICATED"), "\(anonymous.errors)")

    // Logged in as Soest's editor; the session file is the user's alone.
    let login = try await ordp.login("soest.editor")
    #expect(login.status == 0 && login.output.contains("logged in as"), "\(login)")
    let mode = try FileManager.default.attributesOfItem(atPath: session.path)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o600)
    let whoami = try await ordp(["whoami"])
    #expect(whoami.status == 0 && whoami.output.contains("catalogue:write"), "\(whoami)")
    // An access token about to expire is refreshed before the next call (and the rotated
    // refresh token kept).
    var stored = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: session)) as? [String: Any])
    let token = stored["accessToken"] as? String
    let refresh = stored["refreshToken"] as? String
    stored["accessExpires"] = Date().timeIntervalSince1970 + 10
    try JSONSerialization.data(withJSONObject: stored).write(to: session)
    #expect(try await ordp(["whoami"]).status == 0)
    let renewed = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: session)) as? [String: Any])
    #expect(renewed["accessToken"] as? String != token)
    #expect(renewed["refreshToken"] as? String != refresh)
    #expect((renewed["accessExpires"] as? Double ?? 0) > Date().timeIntervalSince1970 + 60)

    // Three from the search response, two from the array (Olpe's refused), the group list
    // reported and not sent; plus one package from standard input.
    let first = try await ordp(["datasets", "import-ckan", folder.path, "--output", "json"])
    #expect(first.status == 1, "\(first)")
    let rows = try JSONDecoder().decode(
      [[String: String]].self, from: Data(first.output.utf8))
    #expect(
      rows.map { $0["outcome"] } == [
        "created", "created", "created", "created", "rejected", "rejected",
      ])
    #expect(rows[4]["reason"]?.contains("not permitted to write datasets of olpe") == true)
    #expect(rows[5]["reason"]?.contains("list response") == true)
    #expect(first.errors.contains("6 documents: 4 created, 0 updated, 0 unchanged, 2 rejected"))
    let piped = try await ordp(
      ["datasets", "import-ckan", "-", "--output", "csv"],
      input: Data(Self.package("f", town: "soest").utf8))
    #expect(piped.status == 0, "\(piped)")
    #expect(piped.output.split(separator: "\r\n").first == "document,outcome,dataset,reason")
    let row = piped.output.trimmingCharacters(in: .newlines).split(separator: "\r\n").dropFirst()
      .first?.split(separator: ",")
    #expect(row?.count == 3 && row?[0] == "stdin (f)" && row?[1] == "created", "\(piped.output)")

    // The README's example folder: every package Soest's, every one created.
    var examples = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { examples.deleteLastPathComponent() }
    let readme = try await ordp([
      "datasets", "import-ckan", examples.appendingPathComponent("examples/ckan").path,
    ])
    #expect(readme.status == 0, "\(readme)")
    #expect(readme.errors.contains("6 documents: 6 created, 0 updated, 0 unchanged, 0 rejected"))

    // Imported again: unchanged.
    let again = try await ordp(["datasets", "import-ckan", folder.path, "--quiet"])
    #expect(again.errors.contains("0 created, 0 updated, 4 unchanged, 2 rejected"), "\(again)")
    // The datasets are in the catalogue, public.
    let channel = try platform.gateway()
    defer { channel.close() }
    let found = try await Ordp_Catalogue_V1_Catalogue_Client(channel: channel).search(
      .with { $0.query = "Radwege" })
    #expect(found.total == 5)

    // Logged out: the session is ended at identity and its file gone.
    let logout = try await ordp(["logout"])
    #expect(logout.status == 0 && !FileManager.default.fileExists(atPath: session.path))
    #expect(try await ordp(["whoami"]).status == 1)
  }

  @Test func callAndDescribeReachEveryKindOfMethod() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let session = platform.dir.appendingPathComponent("session.json")
    let ordp = CLI(platform: platform, session: session)
    // `describe` needs no server: the list, and a method's messages with their comments.
    func describe(_ arguments: [String]) async throws -> Run {
      try await Self.ordp(
        ["describe"] + arguments, platform: platform, session: session, connect: false)
    }
    let list = try await describe([])
    #expect(list.output.contains("ordp.catalogue.v1.Catalogue\n"))
    #expect(list.output.contains("  ImportCkan (bidirectionalStreaming): "))
    let search = try await describe(["ordp.catalogue.v1.Catalogue/Search"])
    #expect(search.output.contains("message SearchRequest {"))
    #expect(search.output.contains("string page_token = 14;  // JSON: pageToken"))
    #expect(try await describe(["ordp.nothing.Here"]).status == 1)

    // Unary, anonymous: a town; a missing one is NOT_FOUND (64 + 5).
    let soest = try await ordp(
      ["call", "ordp.identity.v1.Identity/GetOrganisation", "-d", "{\"id\": \"soest\"}"])
    #expect(soest.status == 0 && soest.output.contains("\"id\":\"soest\""), "\(soest)")
    let missing = try await ordp(
      ["call", "/ordp.identity.v1.Identity/GetOrganisation", "-d", "{\"id\": \"atlantis\"}"])
    #expect(missing.status == 69 && missing.errors.hasPrefix("error: NOT_FOUND"), "\(missing)")
    // Server streaming: the export's chunks, one JSON line each.
    let exported = try await ordp(
      ["call", "ordp.catalogue.v1.Catalogue.Export", "-d", "{\"publisher\": \"soest\"}"])
    let chunks = exported.output.split(separator: "\n")
    #expect(exported.status == 0 && !chunks.isEmpty)
    #expect(chunks.allSatisfy { $0.hasPrefix("{\"data\":\"") })
    // A reader that stops early (`| head`): the command ends quietly, not with a trap.
    let line = try #require(
      platform.output.split(separator: "\n").first { $0.contains("listening on") })
    let port = try #require(line.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
      .dropFirst("127.0.0.1:".count)
    let export = Process()
    export.executableURL = productsDirectory.appendingPathComponent("ordp")
    export.arguments = [
      "datasets", "export", "--port", String(port), "--ca",
      platform.dir.appendingPathComponent("pki/ca.pem").path, "--session-file", session.path,
    ]
    let pipe = Pipe()
    // A pipe of one page: the export (some 20 KB) cannot all be written before the reader goes.
    _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, 1031 /* F_SETPIPE_SZ */, 4096)
    export.standardOutput = pipe
    export.standardError = FileHandle.nullDevice
    let ended = AsyncStream<Int32>.makeStream()
    export.terminationHandler = { ended.continuation.yield($0.terminationStatus) }
    try export.run()
    #expect(!pipe.fileHandleForReading.readData(ofLength: 10).isEmpty)
    try pipe.fileHandleForReading.close()
    var status: Int32?
    for await code in ended.stream {
      status = code
      break
    }
    #expect(status == 0 && export.terminationReason == .exit)

    // A stream of requests from standard input (JSON lines), logged in.
    let login = try await ordp.login("soest.editor")
    #expect(login.status == 0)
    let documents = ["x", "y"].map { name -> String in
      let json = Self.package(name, town: "soest").replacingOccurrences(of: "\n", with: " ")
      let quoted = String(
        decoding: try! JSONSerialization.data(
          withJSONObject: json, options: [.fragmentsAllowed]), as: UTF8.self)
      return "{\"ckanJson\": \(quoted)}"
    }
    let imported = try await ordp(
      ["call", "ordp.catalogue.v1.Catalogue/ImportCkan"],
      input: Data(documents.joined(separator: "\n").utf8))
    #expect(imported.status == 0, "\(imported)")
    #expect(imported.output.components(separatedBy: "OUTCOME_CREATED").count == 3)

    // What the command line refuses before calling: JSON that is not the request, two
    // requests for a unary method, an unknown method.
    let wrong = try await ordp(
      ["call", "ordp.identity.v1.Identity/GetOrganisation", "-d", "{\"town\": 1}"])
    #expect(wrong.status == 1 && wrong.errors.contains("GetOrganisationRequest"), "\(wrong)")
    let two = try await ordp(
      ["call", "ordp.identity.v1.Identity/GetOrganisation", "-d", "{} {}"])
    #expect(two.status == 1 && two.errors.contains("takes one request"), "\(two)")
    #expect(try await ordp(["call", "ordp.nothing.v1.Nothing/Get", "-d", "{}"]).status == 1)
  }

  @Test func ingestPushesAFileAndCountsWhatIsDurable() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let session = platform.dir.appendingPathComponent("session.json")
    let ordp = CLI(platform: platform, session: session)
    let login = try await ordp.login("soest.editor")
    #expect(login.status == 0)

    // The README's example file.
    var examples = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { examples.deleteLastPathComponent() }
    let readme = try await ordp([
      "ingest",
      examples.appendingPathComponent("examples/observations/soestbach-handmessung.csv").path,
      "--stream", "demo-soest-water-level", "--value-column", "Pegel (cm)",
    ])
    #expect(readme.status == 0, "\(readme)")
    #expect(readme.output.contains("accepted 48 (durable), duplicates 0, rejected 0"))

    // A German spreadsheet's CSV: wall-clock times in Berlin, decimal commas, one bad row.
    let formatter = DateFormatter()
    formatter.timeZone = TimeZone(identifier: "Europe/Berlin")
    formatter.dateFormat = "dd.MM.yyyy HH:mm:ss"
    let start = Date().addingTimeInterval(-3600)
    let rows = (0..<3).map { index in
      "\(formatter.string(from: start.addingTimeInterval(Double(index) * 60 + 7)));4\(index),5"
    }
    let csv = platform.dir.appendingPathComponent("pegel.csv")
    try (["Zeitpunkt;Messwert"] + rows + ["gestern;1"]).joined(separator: "\r\n").write(
      to: csv, atomically: true, encoding: .utf8)
    let arguments = [
      "ingest", csv.path, "--stream", "demo-soest-water-level", "--time-column", "Zeitpunkt",
      "--value-column", "Messwert", "--quiet",
    ]
    let first = try await ordp(arguments)
    #expect(first.status == 1, "\(first)")  // a row skipped
    #expect(first.output.contains("4 rows: 3 observations in 1 batches, 1 rows skipped"))
    #expect(first.output.contains("accepted 3 (durable), duplicates 0, rejected 0"), "\(first)")
    #expect(first.output.contains("skipped line 5: time \"gestern\" is not a time"))
    let again = try await ordp(arguments)
    #expect(again.output.contains("accepted 0 (durable), duplicates 3, rejected 0"), "\(again)")

    // JSON lines on standard input: Olpe's stream is not Soest's editor's to write.
    let now = Int64(Date().timeIntervalSince1970) - 1800
    let lines = """
      {"datastream_id": "demo-soest-bicycle-count-ampen", "time": \(now), "value": 7}
      {"datastream_id": "demo-olpe-water-level", "time": \(now), "value": 80.5}
      """
    let mixed = try await ordp(
      ["ingest", "-", "--format", "jsonl", "--quiet"], input: Data(lines.utf8))
    #expect(mixed.status == 1, "\(mixed)")
    #expect(mixed.output.contains("accepted 1 (durable), duplicates 0, rejected 1"), "\(mixed)")
    #expect(mixed.output.contains("rejected demo-olpe-water-level: "), "\(mixed)")
    // A file whose columns cannot be found says so and sends nothing.
    let unnamed = try await ordp(["ingest", "-", "--quiet"], input: Data("a,b\n1,2\n".utf8))
    #expect(unnamed.status == 1 && unnamed.errors.contains("no stream column"), "\(unnamed)")
  }

  @Test func aJoiningTownIsOnboardedWithOneCommandAndAdministered() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let admin = platform.dir.appendingPathComponent("admin-session.json")
    let hagen = platform.dir.appendingPathComponent("hagen-session.json")
    func ordp(_ arguments: [String], session: URL, input: Data? = nil) async throws -> Run {
      try await Self.ordp(arguments, platform: platform, session: session, input: input)
    }
    let login = try await ordp(
      [
        "login", "--username", "admin", "--password-file",
        platform.dir.appendingPathComponent("identity/initial-admin-password").path,
      ], session: admin)
    #expect(login.status == 0, "\(login)")

    // The gateway's view of the services: every replica serving (once its health watch has
    // answered).
    var status = try await ordp(["status", "--output", "csv"], session: admin)
    for _ in 0..<50 where status.status != 0 {
      try await Task.sleep(for: .milliseconds(200))
      status = try await ordp(["status", "--output", "csv"], session: admin)
    }
    let services = status.records.dropFirst()
    #expect(status.status == 0, "\(status)")
    #expect(Set(services.map { String($0[0]) }) == ["identity", "catalogue", "analytics"])
    #expect(services.allSatisfy { $0[4] == "serving" && $0[7] == "no" }, "\(status)")

    // One command: the town and its first admin, whose password is printed once.
    let onboard = try await ordp(["admin", "onboard", "hagen", "--name", "Hagen"], session: admin)
    #expect(onboard.status == 0, "\(onboard)")
    #expect(onboard.output.contains("onboarded hagen (Hagen) with its admin hagen.admin"))
    let password = try #require(
      onboard.output.split(separator: "\n").first { $0.contains("shown this once") }?
        .split(separator: " ").last.map(String.init))
    let towns = try await ordp(["admin", "towns", "list", "--output", "json"], session: admin)
    let listed = try JSONDecoder().decode(
      [[String: AnyCodable]].self, from: Data(towns.output.utf8))
    #expect(listed.contains { $0["id"]?.text == "hagen" && $0["kind"]?.text == "joining" })
    // Onboarding it again: its admin exists (ALREADY_EXISTS, 64 + 6).
    let again = try await ordp(["admin", "onboard", "hagen", "--name", "Hagen"], session: admin)
    #expect(again.status == 70 && again.errors.hasPrefix("error: ALREADY_EXISTS"), "\(again)")

    // Hagen's admin logs in and runs the town: members, a service account and its key.
    let hagenLogin = try await ordp(
      ["login", "--username", "hagen.admin"], session: hagen, input: Data(password.utf8))
    #expect(hagenLogin.status == 0, "\(hagenLogin)")
    let members = try await ordp(
      ["admin", "users", "list", "--town", "hagen", "--output", "csv"], session: hagen)
    #expect(members.output.contains(",hagen.admin,,hagen:admin,no"), "\(members)")
    let account = try await ordp(
      ["admin", "service-accounts", "create", "--town", "hagen", "--name", "pegelsender"],
      session: hagen)
    let accountID = try #require(
      account.output.split(separator: "(id ").last?.split(separator: ")").first.map(String.init))
    let key = try await ordp(
      [
        "admin", "api-keys", "create", "--service-account", accountID, "--scope",
        "analytics:ingest",
      ], session: hagen)
    #expect(key.status == 0 && key.output.contains("the key (shown this once): ordpk_"), "\(key)")
    let keys = try await ordp(
      ["admin", "api-keys", "list", "--service-account", accountID, "--output", "json"],
      session: hagen)
    let keyID = try #require(
      try JSONDecoder().decode([[String: String]].self, from: Data(keys.output.utf8)).first?["id"])
    let revoked = try await ordp(["admin", "api-keys", "revoke", keyID], session: hagen)
    #expect(revoked.status == 0 && revoked.output.hasPrefix("revoked \(keyID)"), "\(revoked)")
    // Without a token the gateway refuses it at the edge (UNAUTHENTICATED, 64 + 16).
    let anonymous = try await ordp(
      ["status"], session: platform.dir.appendingPathComponent("no-session.json"))
    #expect(anonymous.status == 80 && anonymous.errors.hasPrefix("error: UNAUTHENTICATED"))
    // The platform's status is not a town admin's to see (PERMISSION_DENIED, 64 + 7).
    #expect(try await ordp(["status"], session: hagen).status == 71)
    // Another town's members are not Hagen's admin's to see (PERMISSION_DENIED, 64 + 7).
    let soest = try await ordp(["admin", "users", "list", "--town", "soest"], session: hagen)
    #expect(soest.status == 71, "\(soest)")
    // The audit shows what was done, newest first.
    let audit = try await ordp(
      ["admin", "audit", "--town", "hagen", "--output", "csv"], session: hagen)
    let actions = audit.output.split(separator: "\r\n").dropFirst().map {
      $0.split(separator: ",", omittingEmptySubsequences: false)[2]
    }
    #expect(
      actions.prefix(3) == ["apikey.revoke", "apikey.create", "serviceaccount.create"], "\(audit)")
    #expect(actions.contains("organisation.create") && actions.contains("user.create"))
  }

  @Test func datasetsStreamsQueriesFeedAndBenchFromTheCommandLine() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let session = platform.dir.appendingPathComponent("session.json")
    let ordp = CLI(platform: platform, session: session)
    #expect(
      try await ordp.login("soest.editor").status == 0)

    // A dataset's life: created, changed, shown, its history, withdrawn — and the feed.
    let created = try await ordp([
      "datasets", "create", "--town", "soest", "--title", "Baustellen Altstadt", "--description",
      "Baustellen im Straßennetz der Altstadt", "--keyword", "Baustelle", "--theme", "TRAN",
      "--license", "dl-by-de/2.0", "--distribution", "https://soest.example.de/b.csv,CSV",
    ])
    #expect(created.output.hasPrefix("created soest/baustellen-altstadt"), "\(created)")
    let updated = try await ordp([
      "datasets", "update", "soest/baustellen-altstadt", "--title", "Baustellen in der Altstadt",
    ])
    #expect(updated.output.contains("to revision 2"), "\(updated)")
    let shown = try await ordp(["datasets", "show", "soest/baustellen-altstadt"])
    #expect(shown.output.contains("\"title\" : \"Baustellen in der Altstadt\""), "\(shown)")
    let history = try await ordp([
      "datasets", "history", "soest/baustellen-altstadt", "--output", "csv",
    ])
    let actions = history.output.split(separator: "\r\n").dropFirst().map {
      $0.split(separator: ",")[3]
    }
    #expect(actions == ["create", "update"], "\(history)")
    let withdrawn = try await ordp([
      "datasets", "withdraw", "soest/baustellen-altstadt", "--reason", "erledigt",
    ])
    #expect(withdrawn.output.hasPrefix("withdrew soest/baustellen-altstadt"), "\(withdrawn)")
    let feed = try await ordp(["watch", "--output", "json"])
    let changes = try feed.output.split(separator: "\n").map {
      try JSONDecoder().decode([String: AnyCodable].self, from: Data($0.utf8))
    }
    #expect(changes.suffix(3).map { $0["action"]?.text } == ["create", "update", "withdraw"])
    let last = try #require(changes.last?["resume"]?.text)
    let after = try await ordp(["watch", "--after", last])
    #expect(after.status == 0 && after.output.isEmpty, "\(after)")

    // A stream: created, changed, fed, queried three ways.
    let stream = try await ordp([
      "streams", "create", "--town", "soest", "--property", "noise_level", "--unit", "dB",
      "--name", "Lärm Marktplatz", "--longitude", "8.106", "--latitude", "51.571",
    ])
    let id = try #require(
      stream.output.split(separator: " ").last.map {
        $0.trimmingCharacters(in: .whitespacesAndNewlines)
      })
    let changed = try await ordp(["streams", "update", id, "--access", "internal"])
    #expect(changed.output.contains("internal"), "\(changed)")
    let listed = try await ordp(["streams", "list", "--town", "soest", "--output", "json"])
    #expect(listed.output.contains(id))
    let now = Int64(Date().timeIntervalSince1970)
    let lines = (1...4).map {
      "{\"datastream_id\": \"\(id)\", \"time\": \(now - Int64($0) * 60), \"value\": \(50 + $0)}"
    }
    let fed = try await ordp(
      ["ingest", "-", "--format", "jsonl", "--quiet"],
      input: Data(lines.joined(separator: "\n").utf8))
    #expect(fed.output.contains("accepted 4 (durable)"), "\(fed)")
    let latest = try await ordp(["query", "latest", "--stream", id, "--output", "csv"])
    #expect(latest.records.last?.suffix(2) == ["51.0", "0"], "\(latest)")
    let aggregate = try await ordp([
      "query", "aggregate", "--stream", id, "--bucket", "none", "--functions", "count,max",
      "--hours", "1", "--output", "json",
    ])
    #expect(aggregate.output.contains("\"count\" : \"4\""), "\(aggregate)")
    #expect(aggregate.output.contains("\"max\" : \"54\""), "\(aggregate)")
    let raw = try await ordp(["query", "raw", "--stream", id, "--hours", "1"])
    #expect(raw.output.split(separator: "\r\n").count == 5, "\(raw)")  // header and 4

    // A short load on one method: two levels, nothing failed.
    let bench = try await ordp([
      "bench", "ordp.identity.v1.Identity/GetOrganisation", "-d", "{\"id\": \"soest\"}",
      "--in-flight", "1,4", "--seconds", "0.3", "--warmup", "0",
    ])
    let levels = bench.output.split(separator: "\n").filter {
      $0.hasPrefix("| 1 |") || $0.hasPrefix("| 4 |")
    }
    #expect(levels.count == 2 && levels.allSatisfy { $0.hasSuffix("| 0 |") }, "\(bench)")
  }

  @Test func theSwiftIntegratorExamplePushesWithAnAPIKey() async throws {
    let platform = try await DevPlatform.start()
    defer { _ = platform.stop() }
    let session = platform.dir.appendingPathComponent("session.json")
    let ordp = CLI(platform: platform, session: session)
    // Soest's admin makes the sensor gateway's service account and its key, in one command
    // (as the README does).
    #expect(
      try await ordp.login("soest.admin").status == 0)
    let keyFile = platform.dir.appendingPathComponent("pegel-gateway.key")
    let account = try await ordp([
      "admin", "service-accounts", "create", "--town", "soest", "--name", "pegel-gateway",
      "--key-scope", "analytics:ingest", "--key-scope", "analytics:query", "--key-file",
      keyFile.path,
    ])
    #expect(account.status == 0 && account.output.contains("is in \(keyFile.path)"), "\(account)")
    let mode = try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions]
    #expect((mode as? NSNumber)?.intValue == 0o600)

    // The example program, as an integrator runs it.
    let line = try #require(
      platform.output.split(separator: "\n").first { $0.contains("listening on") })
    let port = try #require(line.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") })
      .dropFirst("127.0.0.1:".count)
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent("ordp-example-integrator")
    process.arguments = [
      "--port", String(port), "--ca", platform.dir.appendingPathComponent("pki/ca.pem").path,
      "--api-key-file", keyFile.path, "--stream", "demo-soest-water-level",
    ]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.contains("token for service:"), "\(text)")
    #expect(text.contains("batch 1: accepted 3, duplicates 0, rejected 0"), "\(text)")
    #expect(text.contains("read back 3 of its 3 readings of demo-soest-water-level"), "\(text)")

    // The same key from C (protobuf-c and OpenSSL through the C client): readings on standard
    // input, one Ingest batch; sent again, they are duplicates.
    let now = Int64(Date().timeIntervalSince1970)
    let readings = (1...3).map { "\(now - 600 - Int64($0) * 60) \(40 + $0).25" }
      .joined(separator: "\n")
    func pushFromC(_ input: String) throws -> (Int32, String) {
      let push = Process()
      push.executableURL = productsDirectory.appendingPathComponent("ordp-push-observations")
      push.arguments = [
        "--host", "127.0.0.1", "--port", String(port), "--ca",
        platform.dir.appendingPathComponent("pki/ca.pem").path, "--server-name", "localhost",
        "--api-key-file", keyFile.path, "--stream", "demo-soest-water-level",
      ]
      let stdin = Pipe()
      let stdout = Pipe()
      push.standardInput = stdin
      push.standardOutput = stdout
      push.standardError = stdout
      try push.run()
      stdin.fileHandleForWriting.write(Data(input.utf8))
      try stdin.fileHandleForWriting.close()
      let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      push.waitUntilExit()
      return (push.terminationStatus, text)
    }
    let first = try pushFromC(readings)
    #expect(
      first.0 == 0 && first.1.contains("batch 1: accepted 3, duplicates 0, rejected 0"), "\(first)")
    #expect(first.1.contains("token for service:"))
    let again = try pushFromC(readings)
    #expect(again.0 == 0 && again.1.contains("accepted 0, duplicates 3, rejected 0"), "\(again)")
    let bad = try pushFromC("yesterday 41\n")
    #expect(bad.0 == 2, "\(bad)")
  }
}

/// `ordp` run against one dev platform with one session file.
struct CLI {
  let platform: DevPlatform
  let session: URL

  func callAsFunction(_ arguments: [String], input: Data? = nil) async throws -> CLITests.Run {
    try await CLITests.ordp(arguments, platform: platform, session: session, input: input)
  }

  /// Logs a demo user in (with the demo users' password).
  func login(_ username: String) async throws -> CLITests.Run {
    try await self(["login", "--username", username], input: Data(try platform.demoPassword.utf8))
  }
}

/// A JSON value of a listing row (strings and booleans).
struct AnyCodable: Decodable {
  var text: String?
  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    text =
      (try? container.decode(String.self)) ?? (try? container.decode(Bool.self)).map { "\($0)" }
  }
}
