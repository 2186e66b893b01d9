public import ORDPRPC

extension Ordp_Catalogue_V1_Catalogue_Client {
  /// Sends the documents `requests` writes on one ImportCkan call and gathers the results of
  /// every batch, in the order the documents were sent (for callers that want them all at
  /// once; a long import can read them batch by batch with the generated method instead).
  public func importCkan(
    options: CallOptions = .defaults,
    requests:
      @escaping @Sendable (RPCRequestWriter<Ordp_Catalogue_V1_ImportCkanRequest>)
      async throws -> Void
  ) async throws -> [Ordp_Catalogue_V1_ImportResult] {
    try await importCkan(options: options, requests: requests) { pages in
      var results: [Ordp_Catalogue_V1_ImportResult] = []
      for try await page in pages { results += page.results }
      return results
    }
  }
}
