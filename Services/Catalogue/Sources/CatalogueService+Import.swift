import Foundation
import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

extension CatalogueService {
  /// Documents one ImportCkan call takes at most (its results are numbered with 32 bits, and
  /// a region's portal has tens of thousands).
  public static let maximumImportDocuments = 1_000_000

  /// Imports CKAN `package_show` documents: idempotent by the town's CKAN id (created,
  /// updated, unchanged), a bad document rejected with its reason without stopping the others.
  /// Mapped documents are written in batches of `ImportRules.batchSize`, one durable commit
  /// each, and each batch's results are sent as soon as it is committed — an import of any
  /// size is answered as it goes, never in one message that could outgrow a frame after
  /// everything was written.
  public func importCkan(
    requests: RPCRequestStream<Ordp_Catalogue_V1_ImportCkanRequest>,
    responses: RPCResponseWriter<Ordp_Catalogue_V1_ImportCkanResponse>, context: ServerContext
  ) async throws {
    guard var principal = context.principal else {
      throw RPCError(.unauthenticated, "ImportCkan needs an access token")
    }
    // Refused before a single document is read when the caller may write nowhere.
    guard
      principal.isPlatformAdmin
        || principal.memberships.keys.contains(where: { town in
          principal.may(.catalogueWrite, in: town)
        })
    else {
      throw RPCError(
        .permissionDenied,
        "ImportCkan needs catalogue:write in a town (editor, admin or a service account of it)")
    }
    var page = Ordp_Catalogue_V1_ImportCkanResponse()
    // Mapped datasets waiting for the store, with the index of their result in `page`.
    var pending: [(result: Int, item: ImportItem)] = []
    var documents = 0
    func flush() async throws {
      guard !page.results.isEmpty else { return }
      if !pending.isEmpty {
        let outcomes = try await store.importBatch(
          pending.map(\.item), context: WriteContext(author: principal.subject, at: clock()))
        for ((index, _), outcome) in zip(pending, outcomes) {
          Self.record(outcome, in: &page.results[index])
        }
        pending.removeAll(keepingCapacity: true)
        notifier.notify()
      }
      try await responses.write(page)
      page.results.removeAll(keepingCapacity: true)
      // A long import re-checks the caller's token between batches.
      principal = try await context.recheckPrincipal() ?? principal
    }
    for try await request in requests {
      guard documents < Self.maximumImportDocuments else {
        throw RPCError(
          .resourceExhausted,
          "at most \(Self.maximumImportDocuments) documents per ImportCkan call; send the rest in another"
        )
      }
      var result = Ordp_Catalogue_V1_ImportResult()
      result.index = UInt32(documents)
      documents += 1
      do {
        let dataset = try Self.mapImport(request, principal: principal, into: &result)
        pending.append(
          (
            page.results.count,
            ImportItem(dataset: dataset, replaceLocalChanges: request.replaceLocalChanges)
          ))
      } catch let rejection as CKANMapper.Rejection {
        result.outcome = .rejected
        result.reason = rejection.reason
      } catch let error as RPCError {
        result.outcome = .rejected
        result.reason = error.message
      }
      page.results.append(result)
      if page.results.count >= ImportRules.batchSize { try await flush() }
    }
    try await flush()
  }

  static func record(_ outcome: ImportOutcome, in result: inout Ordp_Catalogue_V1_ImportResult) {
    switch outcome {
    case .created(let id):
      result.outcome = .created
      result.datasetID = id
    case .updated(let id):
      result.outcome = .updated
      result.datasetID = id
    case .unchanged(let id):
      result.outcome = .unchanged
      result.datasetID = id
    case .rejected(let reason, let id):
      result.outcome = .rejected
      result.reason = reason
      result.datasetID = id
    }
  }

  /// A CKAN document permitted, mapped and validated, ready for the store. The caller's right
  /// to write the town is checked before the document is validated (and before it is parsed
  /// at all when the request names the town).
  static func mapImport(
    _ request: Ordp_Catalogue_V1_ImportCkanRequest, principal: Principal,
    into result: inout Ordp_Catalogue_V1_ImportResult
  ) throws -> Ordp_Catalogue_V1_Dataset {
    let fallback = request.publisher
    if !fallback.isEmpty, !principal.may(.catalogueWrite, in: fallback) {
      throw CKANMapper.Rejection(
        reason: "not permitted to write datasets of \(fallback.prefix(64))")
    }
    if request.ckanJson.utf8.count > CKANDocuments.maximumBytes {
      throw CKANMapper.Rejection(reason: "document larger than 4 MiB")
    }
    let (ckanID, mapped) = try CKANMapper.map(json: request.ckanJson, publisher: fallback)
    result.ckanID = String(ckanID.prefix(200))
    var incoming = mapped
    // The town the caller names wins over what the CKAN organisation is called.
    if !fallback.isEmpty { incoming.publisher = fallback }
    guard principal.may(.catalogueWrite, in: incoming.publisher) else {
      throw CKANMapper.Rejection(
        reason: "not permitted to write datasets of \(incoming.publisher.prefix(64))")
    }
    guard ckanID.utf8.count <= 200 else {
      throw CKANMapper.Rejection(reason: "CKAN id longer than 200 characters")
    }
    return try DatasetValidator.validate(incoming)
  }
}
