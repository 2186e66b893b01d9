import Foundation
import NIOSSL
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// `ordp dev up` as a new user meets it: identity with the towns and demo users, over TLS.
@Suite struct DevUpTests {
  @Test func devUpServesIdentityWithDemoUsers() async throws {
    let ordp = productsDirectory.appendingPathComponent("ordp")
    try #require(
      FileManager.default.fileExists(atPath: ordp.path), "build the ordp executable first")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-devup-\(UUID().uuidString)")
    let process = Process()
    process.executableURL = ordp
    process.arguments = [
      "dev", "up", "--port", "0", "--identity-port", "0", "--catalogue-port", "0",
      "--analytics-port", "0", "--data-dir", dir.path, "--pki-dir",
      dir.appendingPathComponent("pki").path, "--scrypt-log-n", "10",
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer {
      process.terminate()
      process.waitUntilExit()
    }
    let output = await readLines(pipe, count: 6)
    /// A TLS channel to the service whose "<name> on host:port" line dev up printed.
    func connect(to name: String) throws -> RPCChannel {
      let line = try #require(output.split(separator: "\n").first { $0.contains("\(name) on") })
      let port = try #require(Int(line.split(separator: ":").last ?? ""))
      return RPCChannel(
        host: "127.0.0.1", port: port,
        security: .tls(
          trustRoots: try NIOSSLCertificate.fromPEMFile(
            dir.appendingPathComponent("pki/ca.pem").path),
          serverHostname: "localhost"))
    }
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
    #expect(open.values.count == 15 && all.values.count == 20)
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    #expect(all.values.allSatisfy { now - $0.timeMicros < 600_000_000 })
  }
}
