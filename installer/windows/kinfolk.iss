; Inno Setup script: Kinfolk's Windows installer, from the frozen app (dist\Kinfolk).
; Built by `python installer\build.py --package` on Windows (it runs ISCC with the defines below);
; by hand:  iscc /DAppVersion=0.1.0 /DSourceDir=dist\Kinfolk /Odist installer\windows\kinfolk.iss
; Per-user install by default (no administrator rights needed); the user may choose all users.
; Signing: see installer/README.md (signtool on the setup .exe and on kinfolk*.exe before this).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\Kinfolk"
#endif

[Setup]
AppId={{6E0C8E3A-4B7B-4C1E-9A55-0B7F3A1D2C11}
AppName=Kinfolk
AppVersion={#AppVersion}
AppPublisher=Kinfolk developers
AppComments=Organize your photos by the people in them, offline
DefaultDirName={autopf}\Kinfolk
DefaultGroupName=Kinfolk
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=Kinfolk-{#AppVersion}-setup
SetupIconFile=..\..\app\kinfolk\resources\icons\kinfolk.ico
UninstallDisplayIcon={app}\kinfolk-gui.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
LicenseFile=..\..\LICENSE

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Kinfolk"; Filename: "{app}\kinfolk-gui.exe"
Name: "{group}\{cm:UninstallProgram,Kinfolk}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Kinfolk"; Filename: "{app}\kinfolk-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\kinfolk-gui.exe"; Description: "{cm:LaunchProgram,Kinfolk}"; Flags: nowait postinstall skipifsilent
; The library and downloaded models live in the user's data folder and are kept on uninstall.
