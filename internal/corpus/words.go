package corpus

// The vocabulary articles are assembled from. It follows the seed article
// (content/ja/… in the seed corpus): Windows support cases, Japanese prose
// with ASCII product names and commands glued in, cmd and PowerShell blocks.

// sectionsJA and sectionsEN are the headings of the default schema's ten
// sections, in order, as the seed article writes them (with the parenthesised
// qualifiers the schema's prefix matching allows).
var sectionsJA = []string{"要約", "よくある原因（優先度順）", "60秒で確認（最短手順）", "5分で解決（実務フロー）",
	"根本対策（恒久策）", "詳細手順（Windows 10/11）", "よくある落とし穴（やってはいけない）",
	"再発防止チェックリスト", "関連ケース", "参考（一次情報）"}

var sectionsEN = []string{"Summary", "Common causes (by priority)", "Check in 60 seconds", "Fix in 5 minutes",
	"Permanent fix", "Detailed steps (Windows 10/11)", "Pitfalls (do not do this)",
	"Prevention checklist", "Related cases", "References"}

// relatedSection is the index of 関連ケース / Related cases in the lists above.
const relatedSection = 8

type product struct {
	ja, en, slug string
	tags         []string
}

var products = []product{
	{"Windows のライセンス認証", "Windows activation", "windows-activation", []string{"Windows", "Activation"}},
	{"Windows Update", "Windows Update", "windows-update", []string{"Windows", "Update"}},
	{"Office のライセンス認証", "Office activation", "office-activation", []string{"Office", "Activation"}},
	{"Microsoft Store アプリのインストール", "Microsoft Store app install", "store-install", []string{"Store", "Install"}},
	{"BitLocker の回復", "BitLocker recovery", "bitlocker-recovery", []string{"BitLocker", "Security"}},
	{"グループ ポリシーの適用", "Group Policy processing", "group-policy", []string{"GPO", "ActiveDirectory"}},
	{"ドメイン参加", "domain join", "domain-join", []string{"ActiveDirectory", "Network"}},
	{"リモート デスクトップ接続", "Remote Desktop connection", "remote-desktop", []string{"RDP", "Network"}},
	{"プリンターの追加", "adding a printer", "printer-add", []string{"Printer", "Driver"}},
	{"Outlook の送受信", "Outlook send/receive", "outlook-send-receive", []string{"Outlook", "Exchange"}},
	{"Teams のサインイン", "Teams sign-in", "teams-sign-in", []string{"Teams", "EntraID"}},
	{"OneDrive の同期", "OneDrive sync", "onedrive-sync", []string{"OneDrive", "Sync"}},
	{"VPN 接続", "VPN connection", "vpn", []string{"VPN", "Network"}},
	{"SQL Server のインストール", "SQL Server setup", "sql-server-setup", []string{"SQLServer", "Install"}},
	{".NET Framework の有効化", ".NET Framework enablement", "dotnet-enable", []string{"DotNet", "DISM"}},
	{"Defender の定義更新", "Defender definition update", "defender-update", []string{"Defender", "Security"}},
	{"Intune の登録", "Intune enrollment", "intune-enroll", []string{"Intune", "EntraID"}},
	{"証明書の自動登録", "certificate autoenrollment", "cert-autoenroll", []string{"PKI", "Security"}},
	{"ファイル共有へのアクセス", "file share access", "file-share", []string{"SMB", "Network"}},
	{"Windows Hello のセットアップ", "Windows Hello setup", "windows-hello", []string{"Windows", "Security"}},
}

var extraTags = []string{"KMS", "Network", "Policy", "Install", "Driver", "Proxy", "Certificate"}

type failure struct{ ja, en string }

var failures = []failure{
	{"に失敗", "fails"}, {"がタイムアウト", "times out"}, {"でアクセス拒否", "is denied"},
	{"が途中で停止", "stops midway"}, {"後に再起動ループ", "causes a reboot loop"},
	{"でエラーが表示される", "shows an error"}, {"が 0% のまま進まない", "is stuck at 0%"},
}

var causesJA = []string{
	"KMS サーバーへの到達不能（DNS SRV レコード不在、ネットワーク/ファイアウォール遮断）",
	"プロダクトキーの種別不一致（KMSキーとMAKの混用、ボリュームライセンスの適用ミス）",
	"時刻同期・ドメイン参加の問題（クライアントとホストで時刻差・ドメイン信頼エラー）",
	"一時ファイルやインストーラーがロックされ、処理が失敗するケース",
	"AppLocker / SRP / SmartScreen 等の実行制御によるブロック",
	"プロキシ設定の誤りにより HTTPS 通信が中継されない",
	"証明書チェーンの検証失敗（ルート証明書の期限切れ・中間証明書の欠落）",
	"ディスク空き容量不足により一時ファイルを展開できない",
	"サービス（sppsvc / wuauserv / BITS）が無効化されている",
	"ユーザー プロファイルの破損によりレジストリ ハイブを読み込めない",
	"EDR 製品がプロセスを隔離し、ファイル ハンドルが解放されない",
	"WSUS の承認漏れにより更新プログラムが配信されない",
	"グループ ポリシーで必要な機能が無効化されている",
	"古いドライバーが残っており新しいドライバーと競合する",
}

var causesEN = []string{
	"The KMS host cannot be reached (missing DNS SRV record, firewall blocks TCP 1688)",
	"Wrong product key type (KMS and MAK keys mixed up)",
	"Clock skew between the client and the domain controller",
	"A locked temporary file makes the installer fail",
	"AppLocker, SRP or SmartScreen blocks the process",
	"A misconfigured proxy drops HTTPS traffic",
	"Certificate chain validation fails (expired root, missing intermediate)",
	"Not enough free disk space to extract temporary files",
	"A required service (sppsvc, wuauserv, BITS) is disabled",
	"A corrupted user profile prevents loading the registry hive",
	"An EDR product quarantines the process and keeps the file handle open",
	"The update was never approved in WSUS",
}

var sentencesJA = []string{
	"管理者権限のコマンド プロンプトで再試行し、結果を記録する。",
	"イベント ビューアーの Application ログで直前のエラーを確認する。",
	"ネットワーク経路を開通させたうえで、再度ライセンス認証を実行する。",
	"影響範囲を確認し、同じ症状の端末が複数ないかヘルプデスクに問い合わせる。",
	"設定変更は必ず記録し、作業後に元の状態へ戻す。",
	"業務 PC の機能制限やコンプライアンス違反につながるため速やかに対応する。",
	"時刻同期が原因であれば w32tm で再同期してから再試行する。",
	"ファイアウォールの一時的な例外は作業完了後に必ず削除する。",
	"同じ手順を複数台に適用する場合は GPO で配布する。",
	"再現手順とログを添えてエスカレーションする。",
	"セーフ モードで起動し、常駐ソフトの影響を切り分ける。",
	"プロキシを経由しない経路で通信できるか確認する。",
	"%TEMP% フォルダーの権限と空き容量を確認する。",
	"新幹線の車内など不安定な回線では VPN が切断されやすい点に注意する。",
	"証明書ストアに中間証明書が入っているか certlm.msc で確認する。",
	"**本番環境では**必ずメンテナンス時間帯に実施する。",
	"`gpupdate /force` の後にサインアウトしてから再確認する。",
}

var sentencesEN = []string{
	"Retry from an elevated command prompt and record the result.",
	"Check the Application event log for the preceding error.",
	"Open the network path, then run activation again.",
	"Record every change and roll it back when you are done.",
	"Escalate with the reproduction steps and the logs attached.",
	"Boot into safe mode to rule out resident software.",
	"Check whether the client can connect without the proxy.",
	"Make sure the intermediate certificate is in the machine store.",
	"**In production**, do this in a maintenance window only.",
	"Sign out after `gpupdate /force` and check again.",
}

type codeBlock struct {
	lang  string
	lines []string
}

// codeBlocks are the commands articles show. {host}, {domain}, {folder},
// {kb} and {user} are replaced per block, so that, as in real articles
// (about one block in five repeats another in the seed corpus's msdocs
// articles), most blocks are distinct and a cache of highlighted blocks
// does not make a benchmark look better than real content would.
var codeBlocks = []codeBlock{
	{"cmd", []string{"slmgr /dli", "slmgr /dlv", "slmgr /xpr", "slmgr /ato"}},
	{"cmd", []string{"nslookup -type=SRV _vlmcs._tcp.{domain}"}},
	{"cmd", []string{"w32tm /resync", "w32tm /query /status", "w32tm /stripchart /computer:{host} /samples:3"}},
	{"cmd", []string{"DISM /Online /Cleanup-Image /RestoreHealth", "sfc /scannow"}},
	{"cmd", []string{"net stop wuauserv", "net start wuauserv"}},
	{"powershell", []string{"Get-MpPreference | Select EnableControlledFolderAccess",
		"Get-MpThreatDetection -ErrorAction SilentlyContinue | Select -First 5"}},
	{"powershell", []string{"Get-WindowsUpdateLog -LogPath \"C:\\Temp\\{kb}.log\"", "Get-Service BITS, wuauserv | Format-Table -Auto"}},
	{"powershell", []string{"Test-NetConnection {host} -Port 1688"}},
	{"cmd", []string{`icacls "C:\\{folder}"`, "whoami /groups & whoami /priv"}},
	{"cmd", []string{`takeown /F "C:\\{folder}" /R /D Y`, `icacls "C:\\{folder}" /grant Administrators:F /T`}},
	{"powershell", []string{`$p = "C:\\{folder}"`, `icacls $p /setowner "NT AUTHORITY\\SYSTEM" /T`}},
	{"cmd", []string{"sc config sppsvc start= auto", "net start sppsvc"}},
	{"powershell", []string{"Get-WinEvent -LogName Application -MaxEvents 20 -ComputerName {host} |", "  Where-Object { $_.LevelDisplayName -eq 'Error' } |", "  Format-List TimeCreated, Id, Message"}},
	{"cmd", []string{`gpresult /s {host} /user {user} /h "%USERPROFILE%\\Desktop\\gp.html"`}},
	{"powershell", []string{"Get-HotFix -Id {kb} -ComputerName {host}", "wusa /uninstall /kb:{kbnum} /quiet /norestart"}},
	{"cmd", []string{"net use \\\\{host}\\share /user:{domain}\\{user}", "klist purge"}},
}

var folders = []string{`Program Files\\Contoso\\Agent`, `ProgramData\\Microsoft\\Crypto\\RSA`, `Windows\\Temp`,
	`Users\\Public\\Documents`, `Windows\\SoftwareDistribution\\Download`, `inetpub\\wwwroot`, `Temp\\Setup`}

var users = []string{"admin", "svc-deploy", "helpdesk01", "tanaka", "suzuki", "jsmith", "backup-op"}

var references = []string{
	"https://learn.microsoft.com/ja-jp/windows-server/administration/windows-commands/icacls",
	"https://learn.microsoft.com/ja-jp/windows-server/administration/windows-commands/takeown",
	"https://learn.microsoft.com/ja-jp/powershell/module/defender/get-mppreference",
	"https://learn.microsoft.com/ja-jp/windows-server/administration/windows-commands/gpresult",
	"https://learn.microsoft.com/ja-jp/windows-server/get-started/kms-client-activation-keys",
	"https://learn.microsoft.com/ja-jp/windows/deployment/update/windows-update-logs",
	"https://learn.microsoft.com/ja-jp/windows/security/operating-system-security/data-protection/bitlocker/recovery-overview",
}
