import Foundation
import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

extension CatalogueService {
  /// Imports CKAN `package_show` documents one by one: idempotent by CKAN id (created,
  /// updated, unchanged), and a bad document is rejected with its reason without stopping the
  /// others.
  public func importCkan(
    requests: RPCRequestStream<Ordp_Catalogue_V1_ImportCkanRequest>, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_ImportCkanResponse {
    guard let principal = context.principal else {
      throw RPCError(.unauthenticated, "ImportCkan needs an access token")
    }
    var response = Ordp_Catalogue_V1_ImportCkanResponse()
    var index: UInt32 = 0
    for try await request in requests {
      var result = Ordp_Catalogue_V1_ImportResult()
      result.index = index
      index += 1
      do {
        try await importOne(request, principal: principal, into: &result)
      } catch let rejection as CKANMapper.Rejection {
        result.outcome = .rejected
        result.reason = rejection.reason
      } catch let error as RPCError where error.code != .unavailable && error.code != .internal {
        result.outcome = .rejected
        result.reason = error.message
      } catch let error as CatalogueStoreError {
        result.outcome = .rejected
        result.reason = error.rpcError.message
      }
      response.results.append(result)
    }
    return response
  }

  private func importOne(
    _ request: Ordp_Catalogue_V1_ImportCkanRequest, principal: Principal,
    into result: inout Ordp_Catalogue_V1_ImportResult
  ) async throws {
    if request.ckanJson.utf8.count > 4 << 20 {
      throw CKANMapper.Rejection(reason: "document larger than 4 MiB")
    }
    let fallback = request.publisher
    let (ckanID, mapped) = try CKANMapper.map(json: request.ckanJson, publisher: fallback)
    result.ckanID = ckanID
    var incoming = mapped
    // The town the caller names wins over what the CKAN organisation is called.
    if !fallback.isEmpty { incoming.publisher = fallback }
    var dataset = try DatasetValidator.validate(incoming)
    guard principal.may(.catalogueWrite, in: dataset.publisher) else {
      throw CKANMapper.Rejection(reason: "not permitted to write datasets of \(dataset.publisher)")
    }
    let writer = WriteContext(author: principal.subject, at: clock())
    if let existing = try await store.dataset(ckanID: ckanID) {
      result.datasetID = existing.id
      guard existing.publisher == dataset.publisher else {
        throw CKANMapper.Rejection(
          reason:
            "CKAN id \(ckanID) was imported for \(existing.publisher), not \(dataset.publisher)")
      }
      dataset.id = existing.id
      dataset.slug = existing.slug
      if Self.sameContent(existing, dataset) {
        result.outcome = .unchanged
        return
      }
      _ = try await store.update(
        dataset, baseRevision: existing.revision, action: "import", context: writer)
      result.outcome = .updated
    } else {
      dataset.id = UUID().uuidString.lowercased()
      var created: Ordp_Catalogue_V1_Dataset?
      let base = dataset.slug
      for attempt in 1...5 where created == nil {
        do {
          created = try await store.create(dataset, action: "import", context: writer)
        } catch CatalogueStoreError.alreadyExists(let what) where what.hasPrefix("slug") {
          dataset.slug = String(base.prefix(75)) + "-\(attempt + 1)"
        }
      }
      guard let created else {
        throw CKANMapper.Rejection(reason: "no free slug for \(base) in \(dataset.publisher)")
      }
      result.datasetID = created.id
      result.outcome = .created
    }
    notifier.notify()
  }

  /// Whether an import would change nothing (ignoring what the service sets itself).
  static func sameContent(_ a: Ordp_Catalogue_V1_Dataset, _ b: Ordp_Catalogue_V1_Dataset) -> Bool {
    func normalised(_ dataset: Ordp_Catalogue_V1_Dataset) -> Ordp_Catalogue_V1_Dataset {
      var copy = dataset
      copy.revision = 0
      copy.withdrawn = false
      copy.issuedMicros = 0
      if dataset.modifiedMicros == 0 { copy.modifiedMicros = 0 }
      return copy
    }
    var left = normalised(a)
    let right = normalised(b)
    if right.modifiedMicros == 0 { left.modifiedMicros = 0 }
    return left == right
  }
}
