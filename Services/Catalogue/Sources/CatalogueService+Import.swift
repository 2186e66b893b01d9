import Foundation
import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

extension CatalogueService {
  /// Imports CKAN `package_show` documents: idempotent by CKAN id (created, updated,
  /// unchanged), a bad document rejected with its reason without stopping the others. Mapped
  /// documents are written in batches of `ImportRules.batchSize`, one durable commit each.
  public func importCkan(
    requests: RPCRequestStream<Ordp_Catalogue_V1_ImportCkanRequest>, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_ImportCkanResponse {
    guard let principal = context.principal else {
      throw RPCError(.unauthenticated, "ImportCkan needs an access token")
    }
    var response = Ordp_Catalogue_V1_ImportCkanResponse()
    // Mapped datasets waiting for the store, with the index of their result.
    var pending: [(result: Int, dataset: Ordp_Catalogue_V1_Dataset)] = []
    func flush() async throws {
      guard !pending.isEmpty else { return }
      let outcomes = try await store.importBatch(
        pending.map(\.dataset), context: WriteContext(author: principal.subject, at: clock()))
      for ((index, _), outcome) in zip(pending, outcomes) {
        switch outcome {
        case .created(let id):
          response.results[index].outcome = .created
          response.results[index].datasetID = id
        case .updated(let id):
          response.results[index].outcome = .updated
          response.results[index].datasetID = id
        case .unchanged(let id):
          response.results[index].outcome = .unchanged
          response.results[index].datasetID = id
        case .rejected(let reason, let id):
          response.results[index].outcome = .rejected
          response.results[index].reason = reason
          response.results[index].datasetID = id
        }
      }
      pending.removeAll(keepingCapacity: true)
      notifier.notify()
    }
    for try await request in requests {
      var result = Ordp_Catalogue_V1_ImportResult()
      result.index = UInt32(response.results.count)
      do {
        let dataset = try Self.mapImport(request, principal: principal, into: &result)
        pending.append((response.results.count, dataset))
      } catch let rejection as CKANMapper.Rejection {
        result.outcome = .rejected
        result.reason = rejection.reason
      } catch let error as RPCError {
        result.outcome = .rejected
        result.reason = error.message
      }
      response.results.append(result)
      if pending.count >= ImportRules.batchSize { try await flush() }
    }
    try await flush()
    return response
  }

  /// A CKAN document mapped, validated and permitted, ready for the store.
  static func mapImport(
    _ request: Ordp_Catalogue_V1_ImportCkanRequest, principal: Principal,
    into result: inout Ordp_Catalogue_V1_ImportResult
  ) throws -> Ordp_Catalogue_V1_Dataset {
    if request.ckanJson.utf8.count > 4 << 20 {
      throw CKANMapper.Rejection(reason: "document larger than 4 MiB")
    }
    let fallback = request.publisher
    let (ckanID, mapped) = try CKANMapper.map(json: request.ckanJson, publisher: fallback)
    result.ckanID = ckanID
    var incoming = mapped
    // The town the caller names wins over what the CKAN organisation is called.
    if !fallback.isEmpty { incoming.publisher = fallback }
    let dataset = try DatasetValidator.validate(incoming)
    guard principal.may(.catalogueWrite, in: dataset.publisher) else {
      throw CKANMapper.Rejection(reason: "not permitted to write datasets of \(dataset.publisher)")
    }
    return dataset
  }
}
