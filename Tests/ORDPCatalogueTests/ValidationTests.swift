import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPRPC
import Testing

@Suite struct FoldingAndValidationTests {
  @Test func germanFolding() {
    #expect(GermanFolding.fold("Straße") == GermanFolding.fold("Strasse"))
    #expect(GermanFolding.fold("Müll") == GermanFolding.fold("MUELL"))
    #expect(GermanFolding.fold("Öffnungszeiten Bürgerbüro") == "oeffnungszeiten buergerbuero")
    #expect(GermanFolding.fold("Café Crème") == "cafe creme")
    // Decomposed input (NFD) folds like composed input; other scripts are lower-cased.
    #expect(GermanFolding.fold("Mu\u{308}ll Stra\u{DF}e") == "muell strasse")
    #expect(GermanFolding.fold("ÄÖÜ Łódź ΣΟΦΙΑ") == "aeoeue łodz σοφια")
    #expect(
      GermanFolding.words("Parkplätze (Innenstadt), 2024!") == [
        "parkplaetze", "innenstadt", "2024",
      ])
    #expect(
      GermanFolding.slug("Parkplätze in der Innenstadt – Soest")
        == "parkplaetze-in-der-innenstadt-soest")
  }

  static func valid() -> Ordp_Catalogue_V1_Dataset {
    var dataset = Ordp_Catalogue_V1_Dataset()
    dataset.publisher = "soest"
    dataset.title = "  Parkplätze Innenstadt "
    dataset.description_p = "Belegung der Parkhäuser"
    dataset.keywords = ["Parken", "parken", "Verkehr"]
    dataset.themes = [
      "http://publications.europa.eu/resource/authority/data-theme/TRAN", "tran", "REGI",
    ]
    var distribution = Ordp_Catalogue_V1_Distribution()
    distribution.accessURL = "https://opendata.soest.de/parken"
    distribution.format = "CSV"
    distribution.mediaType = "text/csv"
    dataset.distributions = [distribution]
    return dataset
  }

  @Test func normalises() throws {
    let dataset = try DatasetValidator.validate(Self.valid())
    #expect(dataset.title == "Parkplätze Innenstadt")
    #expect(dataset.slug == "parkplaetze-innenstadt")
    #expect(dataset.keywords == ["Parken", "Verkehr"])
    #expect(dataset.themes == ["TRAN", "REGI"])
    #expect(dataset.accessLevel == .public)
    #expect(!dataset.distributions[0].id.isEmpty)
  }

  @Test func refusesWithTheField() {
    let cases: [(String, (inout Ordp_Catalogue_V1_Dataset) -> Void)] = [
      ("publisher: is required", { $0.publisher = "" }),
      ("title: is required", { $0.title = "   " }),
      ("description: is required", { $0.description_p = "" }),
      ("themes[0]:", { $0.themes = ["WEATHER"] }),
      ("keywords[1]: is required", { $0.keywords = ["a", " "] }),
      ("distributions[0].access_url: is required", { $0.distributions[0].accessURL = "" }),
      ("distributions[0].access_url:", { $0.distributions[0].accessURL = "ftp://x" }),
      ("distributions[0].media_type:", { $0.distributions[0].mediaType = "csv" }),
      ("distributions[0].byte_size:", { $0.distributions[0].byteSize = -1 }),
      (
        "distributions[0].checksum.value:",
        {
          $0.distributions[0].checksum.algorithm = "sha256"
          $0.distributions[0].checksum.value = "abc"
        }
      ),
      (
        "spatial.bbox:",
        {
          $0.spatial.hasBbox_p = true
          $0.spatial.bbox.west = 9
          $0.spatial.bbox.east = 8
        }
      ),
      (
        "temporal.end_date:",
        {
          $0.temporal.startDate = "2024-05-01"
          $0.temporal.endDate = "2024-01-01"
        }
      ),
      ("temporal.start_date:", { $0.temporal.startDate = "01.05.2024" }),
      ("temporal.start_date:", { $0.temporal.startDate = "2023-02-29" }),
      ("temporal.end_date:", { $0.temporal.endDate = "2024-01-01T00:00" }),
      ("contact_point.email:", { $0.contactPoint.email = "nobody" }),
      ("granted_organisations:", { $0.grantedOrganisations = ["olpe"] }),
      ("slug:", { $0.slug = "Not A Slug" }),
      ("title: must not contain control characters", { $0.title = "Glocke \u{7}" }),
      (
        "distributions[0].title: must not contain control",
        { $0.distributions[0].title = "\u{1B}[31m" }
      ),
      (
        "license: proprietär is not in the dcat-ap.de licence vocabulary",
        { $0.license = "proprietär" }
      ),
      ("distributions[0].license:", { $0.distributions[0].license = "MIT-ish" }),
    ]
    for (expected, edit) in cases {
      var dataset = Self.valid()
      edit(&dataset)
      #expect(throws: RPCError.self) { try DatasetValidator.validate(dataset) }
      do {
        _ = try DatasetValidator.validate(dataset)
      } catch {
        #expect(error.code == .invalidArgument)
        #expect(error.message.hasPrefix(expected), "\(expected) → \(error.message)")
      }
    }
  }
}

/// The work of validating a dataset is linear and capped before it starts.
@Suite struct ValidationLimitTests {
  static func dataset() -> Ordp_Catalogue_V1_Dataset {
    var dataset = Ordp_Catalogue_V1_Dataset()
    dataset.publisher = "soest"
    dataset.title = "Titel"
    dataset.description_p = "Beschreibung"
    return dataset
  }

  @Test func repeatedFieldsBeyondTheirLimitsAreRefusedBeforeAnyLoop() {
    for (field, mutate) in [
      (
        "keywords",
        { (d: inout Ordp_Catalogue_V1_Dataset) in d.keywords = Array(repeating: "x", count: 1001) }
      ),
      (
        "themes",
        { (d: inout Ordp_Catalogue_V1_Dataset) in d.themes = Array(repeating: "TRAN", count: 101) }
      ),
      (
        "granted_organisations",
        { (d: inout Ordp_Catalogue_V1_Dataset) in
          d.grantedOrganisations = Array(repeating: "olpe", count: 101)
        }
      ),
      (
        "distributions",
        { (d: inout Ordp_Catalogue_V1_Dataset) in
          d.distributions = Array(repeating: .init(), count: 501)
        }
      ),
    ] {
      var dataset = Self.dataset()
      mutate(&dataset)
      #expect(throws: RPCError.self, "\(field)") { try DatasetValidator.validate(dataset) }
      do {
        _ = try DatasetValidator.validate(dataset)
      } catch {
        #expect(error.message.hasPrefix("\(field):"), "\(error.message)")
      }
    }
  }

  @Test func timesOutsideFourDigitYearsAreRefused() throws {
    for value in [Int64.min, Int64.max, -30_610_224_000_000_001, 253_402_300_800_000_000] {
      var dataset = Self.dataset()
      dataset.issuedMicros = value
      #expect(throws: RPCError.self, "\(value)") { try DatasetValidator.validate(dataset) }
      dataset.issuedMicros = 0
      dataset.modifiedMicros = value
      #expect(throws: RPCError.self, "\(value)") { try DatasetValidator.validate(dataset) }
    }
    var early = Self.dataset()
    early.issuedMicros = -1
    #expect(try DatasetValidator.validate(early).issuedMicros == -1)
  }

  @Test func keywordsAreDeduplicatedAfterFoldingInOnePass() throws {
    var dataset = Self.dataset()
    // 1,000 keywords as sent, 50 distinct after folding: allowed, and kept in first order.
    dataset.keywords = (0..<1000).map { index in
      index.isMultiple(of: 2) ? "Straße \(index % 50)" : "STRASSE \(index % 50)"
    }
    let validated = try DatasetValidator.validate(dataset)
    #expect(validated.keywords.count == 50 && validated.keywords.first == "Straße 0")
    // 1,000 distinct ones are more than the 100 a dataset keeps.
    dataset.keywords = (0..<1000).map { "k\($0)" }
    #expect(throws: RPCError.self) { try DatasetValidator.validate(dataset) }
    // Text far beyond a field's limit is refused without counting its characters.
    var long = Self.dataset()
    long.title = String(repeating: "a", count: 4 << 20)
    #expect(throws: RPCError.self) { try DatasetValidator.validate(long) }
  }
}
