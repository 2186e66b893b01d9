import Foundation
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Acknowledged writes survive `kill -9` of the catalogue process; imports that cross batch
/// boundaries keep every document's own outcome.
@Suite struct DurabilityTests {
  @Test func acknowledgedWritesSurviveSIGKILL() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let data = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-catalogue-kill-\(UUID().uuidString)")
    let arguments = [
      "--identity-port", "\(identity.port)", "--identity-ca", IdentityPKI.path("ca.pem"),
      "--identity-server-name", "localhost",
    ]
    let identityChannel = try identity.channel()
    defer { identityChannel.close() }
    let token = try await Ordp_Identity_V1_Identity_Client(channel: identityChannel).login(
      "admin", IdentityProcess.adminPassword
    ).accessToken

    let first = try await ServiceProcess.start(
      "ordp-catalogue", arguments: arguments, dataDirectory: data)
    let channel = try first.channel()
    let client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let synthetic = SyntheticCatalogue(seed: 7)
    // 40 creates from 8 concurrent writers and one import of 300 documents; everything that
    // was acknowledged is recorded, then the process is killed without warning.
    let created = try await withThrowingTaskGroup(of: [String].self) { group in
      for writer in 0..<8 {
        group.addTask {
          var ids: [String] = []
          for index in 0..<5 {
            var request = Ordp_Catalogue_V1_CreateDatasetRequest()
            request.dataset = synthetic.dataset(writer * 5 + index)
            ids.append(try await client.createDataset(request, options: bearer(token)).id)
          }
          return ids
        }
      }
      return try await group.reduce(into: []) { $0 += $1 }
    }
    let imported = try await client.importCkan(options: bearer(token)) { writer in
      for index in 1000..<1300 {
        try await writer.write(.with { $0.ckanJson = synthetic.ckanJSON(index) })
      }
    }
    #expect(imported.allSatisfy { $0.outcome == .created })
    channel.close()
    first.stop(signal: SIGKILL)

    let second = try await ServiceProcess.start(
      "ordp-catalogue", arguments: arguments, dataDirectory: data)
    defer { second.stop() }
    let again = try second.channel()
    defer { again.close() }
    let restarted = Ordp_Catalogue_V1_Catalogue_Client(channel: again)
    for id in created + imported.map(\.datasetID) {
      var request = Ordp_Catalogue_V1_GetDatasetRequest()
      request.id = id
      let dataset = try await restarted.getDataset(request, options: bearer(token))
      #expect(dataset.id == id && dataset.revision == 1)
    }
    // The feed holds each of them once, in order, without gaps.
    let positions = try await restarted.watchChanges(
      .with { $0.afterPosition = 0 }, options: bearer(token)
    ) {
      stream in
      var positions: [UInt64] = []
      for try await change in stream { positions.append(change.position) }
      return positions
    }
    #expect(positions == Array(1...UInt64(created.count + imported.count)))
  }

  @Test func importsAcrossBatchesKeepEachDocumentsOutcome() async throws {
    let platform = try await CatalogueEndToEndTests.Platform()
    defer { platform.stop() }
    let synthetic = SyntheticCatalogue(seed: 11)
    // 450 documents (three store batches); every 50th is broken.
    let documents = (0..<450).map { index in
      index % 50 == 49 ? "{\"id\": \"broken-\(index)\"" : synthetic.ckanJSON(index)
    }
    func run() async throws -> [Ordp_Catalogue_V1_ImportResult] {
      try await platform.client.importCkan(options: bearer(platform.tokens["root"]!)) { writer in
        for document in documents { try await writer.write(.with { $0.ckanJson = document }) }
      }
    }
    let first = try await run()
    #expect(first.map(\.index) == (0..<450).map(UInt32.init))
    for (index, result) in first.enumerated() {
      #expect(result.outcome == (index % 50 == 49 ? .rejected : .created), "document \(index)")
    }
    #expect(Set(first.map(\.datasetID)).count == 442)  // 441 ids and the empty one
    let replay = try await run()
    for (index, result) in replay.enumerated() {
      #expect(result.outcome == (index % 50 == 49 ? .rejected : .unchanged), "document \(index)")
      #expect(result.datasetID == first[index].datasetID)
    }
  }
}
