import Foundation
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What an operator sees of a running service: Prometheus metrics over HTTP and one access-log
/// line per call.
@Suite struct ObservabilityEndToEndTests {
  @Test func aServiceServesMetricsAndLogsEveryCall() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let log = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-access-\(UUID().uuidString).log")
    let catalogue = try await ServiceProcess.start(
      "ordp-catalogue",
      arguments: [
        "--identity-port", "\(identity.port)", "--identity-ca", IdentityPKI.path("ca.pem"),
        "--identity-server-name", "localhost", "--metrics-port", "0", "--log-level", "info",
      ], lines: 2, log: log)
    defer { catalogue.stop() }
    let line = try #require(
      catalogue.output.split(separator: "\n").first { $0.contains("metrics on") })
    let metricsPort = try #require(Int(line.split(separator: ":").last ?? ""))

    let channel = try catalogue.channel()
    defer { channel.close() }
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let root = try await Ordp_Identity_V1_Identity_Client(channel: try identity.channel())
      .login("admin", IdentityProcess.adminPassword).accessToken
    _ = try await client.search(.init())
    _ = try await client.search(.init())
    var options = bearer(root)
    options.metadata.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    options.metadata.add("ordp-request-id", "erp-7")
    _ = await statusOf {
      try await client.getDataset(.with { $0.id = "soest/gibt-es-nicht" }, options: options)
    }

    let url = try #require(URL(string: "http://127.0.0.1:\(metricsPort)/metrics"))
    let (data, response) = try await URLSession.shared.data(from: url)
    #expect((response as? HTTPURLResponse)?.statusCode == 200)
    let text = String(decoding: data, as: UTF8.self)
    #expect(
      text.contains(
        #"ordp_calls_total{method="/ordp.catalogue.v1.Catalogue/Search",code="OK"} 2"#))
    #expect(
      text.contains(
        #"ordp_calls_total{method="/ordp.catalogue.v1.Catalogue/GetDataset",code="NOT_FOUND"} 1"#
      ))
    let missing = try #require(URL(string: "http://127.0.0.1:\(metricsPort)/other"))
    let (_, other) = try await URLSession.shared.data(from: missing)
    #expect((other as? HTTPURLResponse)?.statusCode == 404)

    // The access log: one line per call, with caller, status, request and trace ids.
    let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
      .filter { $0.contains("ordp.access") }
    #expect(lines.filter { $0.contains("/ordp.catalogue.v1.Catalogue/Search") }.count == 2)
    let get = try #require(lines.first { $0.contains("GetDataset") })
    #expect(get.contains("status=NOT_FOUND"))
    #expect(get.contains("request_id=erp-7"))
    #expect(get.contains("trace_id=4bf92f3577b34da6a3ce929d0e0e4736"))
    #expect(get.contains("caller=user:"))
  }
}
