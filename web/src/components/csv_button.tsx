// "Download CSV" for a table: the CSV is built when clicked, so it is always the table's current data.
import { downloadCsv } from "../lib/csv";

export function CsvButton({ fileName, csv, label = "Download CSV" }: { fileName: string; csv: () => string; label?: string }) {
  return (
    <button type="button" class="ghost csv-button" data-file={fileName} onClick={() => downloadCsv(fileName, csv())}>
      {label}
    </button>
  );
}
