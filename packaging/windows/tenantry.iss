; Inno Setup 6 script: the Windows installer for Tenantry, made from the one-folder bundle.
;
;   python packaging\build.py
;   iscc /DAppVersion=0.1.0 packaging\windows\tenantry.iss
;
; AppVersion comes from desktop/__init__.py (the CI workflow passes it). The installer goes to
; dist\tenantry-<version>-windows-x64-setup.exe. It installs per user without
; administrator rights by default (the user may choose all users), adds a Start menu entry
; and an optional desktop shortcut, and registers an uninstaller. Silent install for
; tests: tenantry-...-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /CURRENTUSER /DIR=C:\somewhere
; NOT BUILT OR TESTED on the Linux development machine: only in CI on windows-latest.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\tenantry.iss
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\tenantry"
#endif

[Setup]
AppId={{6F0C2D7E-3B1A-4C8E-9E55-2E7A4B1D9C31}
AppName=Tenantry
AppVersion={#AppVersion}
AppVerName=Tenantry {#AppVersion}
AppPublisher=Tenantry
DefaultDirName={autopf}\Tenantry
DefaultGroupName=Tenantry
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=tenantry-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\tenantry.ico
UninstallDisplayIcon={app}\tenantry.exe
UninstallDisplayName=Tenantry {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: tenantry.exe, tenantry-selfcheck.exe and _internal\.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle's libraries completely (no stale modules from an older version).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Tenantry"; Filename: "{app}\tenantry.exe"
Name: "{autodesktop}\Tenantry"; Filename: "{app}\tenantry.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\tenantry.exe"; Description: "{cm:LaunchProgram,Tenantry}"; Flags: nowait postinstall skipifsilent
